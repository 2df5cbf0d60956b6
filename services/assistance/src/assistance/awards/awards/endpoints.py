"""Awards over HTTP: a school's application, the reads, the award history and the school
review (评议)."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response

from assistance.awards.awards import service
from assistance.awards.awards.rules import AwardSource, AwardStatus, WorkflowConflict
from assistance.awards.awards.schemas import (
    AwardCreate,
    AwardPage,
    AwardRead,
    AwardReview,
    HistoryList,
    HistoryRead,
)
from assistance.students.audit import PII, AwardCreated, AwardRead_, AwardsListed, touched
from junheng_kit.audit import classes_shown
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.etags import etag, version_from_if_match
from junheng_kit.identifiers import CountyCode, SchoolCode
from junheng_kit.pagination import CursorQuery, LimitQuery
from junheng_kit.problems import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    RuleViolated,
    problem_responses,
)

router = APIRouter(tags=["awards"])

Reader = Annotated[Principal, Depends(require_scopes("assistance:read"))]
Writer = Annotated[Principal, Depends(require_scopes("assistance:write"))]
IfMatch = Annotated[str | None, Header(description='the award\'s ETag, e.g. "3"')]
Status = Annotated[str | None, Query(pattern=f"^({'|'.join(AwardStatus)})$")]


@router.post(
    "/v1/awards",
    status_code=201,
    summary="A school applies for an award on a family's behalf",
    responses=problem_responses(NotFound, RuleViolated, Conflict),
)
async def create_award(
    audit: AwardCreated,
    body: AwardCreate,
    session: SessionDep,
    principal: Writer,
    response: Response,
) -> AwardRead:
    """The amount must equal the standard in force on 1 September of the school year for the
    student's level, boarding and tier (422 `amount_matches_standard`); unknown programme 422
    `programme_known`; no published standard 422 `standard_in_force`; a student outside the
    caller's jurisdiction 403."""
    award, student = await service.create_award(session, principal, request=body)
    touched(audit, [student], principal, ids=[award.id])
    response.headers["Location"] = f"/v1/awards/{award.id}"
    response.headers["ETag"] = etag(award.version, unmasked=service.shows_pii(principal))
    return service.award_read(award, student, principal)


@router.get(
    "/v1/awards",
    summary="Awards (masked without assistance:pii)",
    responses=problem_responses(Forbidden),
)
async def list_awards(
    audit: AwardsListed,
    session: SessionDep,
    principal: Reader,
    county_code: Annotated[CountyCode | None, Query()] = None,
    school_code: Annotated[SchoolCode | None, Query()] = None,
    student_id: UUID | None = None,
    programme_code: str | None = None,
    school_year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    status: Status = None,
    source: Annotated[str | None, Query(pattern=f"^({'|'.join(AwardSource)})$")] = None,
    priority: Annotated[
        bool | None,
        Query(description="served first (seed 000 priority); needs assistance:pii"),
    ] = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> AwardPage:
    """Awards of the caller's counties, and of students who moved into them (异地 history).
    `priority=true` lists those to serve first when a programme's places or funds are limited
    (403 `scope_required` on `query.priority` without `assistance:pii`)."""
    filters = {
        "county_code": county_code,
        "school_code": school_code,
        "student_id": student_id,
        "programme_code": programme_code,
        "school_year": school_year,
        "status": status,
        "source": source,
        "priority": priority,
    }
    page = await service.list_awards(
        session, principal, filters=filters, cursor=cursor, limit=limit
    )
    audit.touched(ids=[a.id for a in page.items], classes=classes_shown(PII in principal.scopes))
    return page


@router.get("/v1/awards/{award_id}", summary="One award", responses=problem_responses(NotFound))
async def get_award(
    audit: AwardRead_, award_id: UUID, session: SessionDep, principal: Reader, response: Response
) -> AwardRead:
    award, student = await service.get_award(session, principal, award_id=award_id)
    touched(audit, [student], principal, ids=[award.id])
    response.headers["ETag"] = etag(award.version, unmasked=service.shows_pii(principal))
    return service.award_read(award, student, principal)


@router.get(
    "/v1/awards/{award_id}/history",
    summary="Every transition of an award (who, when, from → to, why)",
    responses=problem_responses(NotFound),
)
async def award_history(award_id: UUID, session: SessionDep, principal: Reader) -> HistoryList:
    rows = await service.history(session, principal, award_id=award_id)
    return HistoryList(items=[HistoryRead.model_validate(r) for r in rows])


@router.post(
    "/v1/awards/{award_id}/review",
    summary="学校评议: the school panel's result",
    responses=problem_responses(NotFound, WorkflowConflict, PreconditionFailed, RuleViolated),
)
async def review_award(
    award_id: UUID,
    body: AwardReview,
    session: SessionDep,
    principal: Writer,
    response: Response,
    if_match: IfMatch = None,
) -> AwardRead:
    award, student = await service.review_award(
        session,
        principal,
        award_id=award_id,
        request=body,
        if_match=version_from_if_match(if_match),
    )
    response.headers["ETag"] = etag(award.version, unmasked=service.shows_pii(principal))
    return service.award_read(award, student, principal)
