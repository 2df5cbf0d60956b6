"""Award workflow over HTTP: application → review → 公示 → objections → approval →
disbursement; status notices, transfers and the working calendar."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from assistance.awards import service
from assistance.awards.rules import WorkflowConflict
from assistance.awards.schemas import (
    AwardApproval,
    AwardCreate,
    AwardPage,
    AwardRead,
    AwardReview,
    CalendarPut,
    CalendarRead,
    DisbursementCreate,
    DisbursementRead,
    HistoryList,
    HistoryRead,
    NoticeAppeal,
    NoticeList,
    NoticeRead,
    NoticeResolve,
    ObjectionCreate,
    ObjectionList,
    ObjectionRead,
    ObjectionResolve,
    PublicityBatchCreate,
    PublicityBatchRead,
    PublicList,
    TransferCreate,
    TransferList,
    TransferRead,
)
from assistance.settings import AssistanceSettings
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.etags import etag, version_from_if_match
from junheng_kit.identifiers import CountyCode, SchoolCode
from junheng_kit.pagination import CursorQuery, LimitQuery
from junheng_kit.problems import (
    Conflict,
    NotFound,
    PreconditionFailed,
    RuleViolated,
    problem_responses,
)

router = APIRouter(tags=["awards"])

Reader = Annotated[Principal, Depends(require_scopes("assistance:read"))]
Writer = Annotated[Principal, Depends(require_scopes("assistance:write"))]
IfMatch = Annotated[str | None, Header(description='the award\'s ETag, e.g. "3"')]
Status = Annotated[
    str | None,
    Query(pattern=r"^(proposed|applied|reviewed|rejected|in_publicity|approved|paid)$"),
]


def settings_of(request: Request) -> AssistanceSettings:
    settings = request.app.state.settings
    assert isinstance(settings, AssistanceSettings)
    return settings


Settings = Annotated[AssistanceSettings, Depends(settings_of)]


# --- awards ------------------------------------------------------------------------------------


@router.post(
    "/v1/awards",
    status_code=201,
    summary="A school applies for an award on a family's behalf",
    responses=problem_responses(NotFound, RuleViolated, Conflict),
)
async def create_award(
    body: AwardCreate, session: SessionDep, principal: Writer, response: Response
) -> AwardRead:
    """The amount must equal the standard in force on 1 September of the school year for the
    student's level, boarding and tier (422 `amount_matches_standard`); unknown programme 422
    `programme_known`; no published standard 422 `standard_in_force`; a student outside the
    caller's jurisdiction 403."""
    award, student = await service.create_award(session, principal, request=body)
    response.headers["Location"] = f"/v1/awards/{award.id}"
    response.headers["ETag"] = etag(award.version)
    return service.award_read(award, student, principal)


@router.get(
    "/v1/awards", summary="Awards (masked without assistance:pii)", responses=problem_responses()
)
async def list_awards(
    session: SessionDep,
    principal: Reader,
    county_code: Annotated[CountyCode | None, Query()] = None,
    school_code: Annotated[SchoolCode | None, Query()] = None,
    student_id: UUID | None = None,
    programme_code: str | None = None,
    school_year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    status: Status = None,
    source: Annotated[str | None, Query(pattern=r"^(school|auto)$")] = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> AwardPage:
    """Awards of the caller's counties, and of students who moved into them (异地 history)."""
    filters = {
        "county_code": county_code,
        "school_code": school_code,
        "student_id": student_id,
        "programme_code": programme_code,
        "school_year": school_year,
        "status": status,
        "source": source,
    }
    return await service.list_awards(
        session, principal, filters=filters, cursor=cursor, limit=limit
    )


@router.get("/v1/awards/{award_id}", summary="One award", responses=problem_responses(NotFound))
async def get_award(
    award_id: UUID, session: SessionDep, principal: Reader, response: Response
) -> AwardRead:
    award, student = await service.get_award(session, principal, award_id=award_id)
    response.headers["ETag"] = etag(award.version)
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
    response.headers["ETag"] = etag(award.version)
    return service.award_read(award, student, principal)


@router.post(
    "/v1/awards/{award_id}/approval",
    summary="县级审批: approve after review and an ended 公示",
    responses=problem_responses(NotFound, WorkflowConflict, PreconditionFailed),
)
async def approve_award(
    award_id: UUID,
    body: AwardApproval,
    session: SessionDep,
    principal: Writer,
    response: Response,
    if_match: IfMatch = None,
) -> AwardRead:
    """409 `review_required` before the panel reviewed it, `publicity_required` before a 公示,
    `publicity_not_ended` until the day after it ends, `objection_open` while an objection is
    open. Emits `assistance.award.approved`."""
    award, student = await service.approve_award(
        session,
        principal,
        award_id=award_id,
        request=body,
        if_match=version_from_if_match(if_match),
    )
    response.headers["ETag"] = etag(award.version)
    return service.award_read(award, student, principal)


# --- 公示 --------------------------------------------------------------------------------------


@router.post(
    "/v1/publicity-batches",
    status_code=201,
    summary="公示: list reviewed awards for at least the minimum working days",
    responses=problem_responses(NotFound, WorkflowConflict, RuleViolated),
)
async def create_publicity_batch(
    body: PublicityBatchCreate,
    session: SessionDep,
    principal: Writer,
    response: Response,
    settings: Settings,
) -> PublicityBatchRead:
    """Working days are counted on the calendar (weekends, official holidays, 调休 working
    weekends), start and end included; fewer than the minimum (setting, default 5) → 422
    `publicity_5_working_days`. Without `ends_on` the earliest allowed end is used."""
    minimum = settings.publicity_min_working_days
    batch, count = await service.create_publicity_batch(
        session, principal, request=body, minimum=minimum
    )
    response.headers["Location"] = f"/v1/publicity-batches/{batch.id}"
    return PublicityBatchRead.model_validate(batch).model_copy(update={"awards": count})


@router.get(
    "/v1/publicity-batches/{batch_id}",
    summary="One 公示 batch",
    responses=problem_responses(NotFound),
)
async def get_publicity_batch(
    batch_id: UUID, session: SessionDep, principal: Reader
) -> PublicityBatchRead:
    batch, count = await service.get_batch(session, principal, batch_id=batch_id)
    return PublicityBatchRead.model_validate(batch).model_copy(update={"awards": count})


@router.get(
    "/v1/publicity-batches/{batch_id}/list",
    summary="The public 公示 list (minimised: masked name and ID, no category unless allowed)",
    responses=problem_responses(NotFound),
)
async def get_public_list(batch_id: UUID, session: SessionDep, principal: Reader) -> PublicList:
    return await service.public_list(session, principal, batch_id=batch_id)


@router.post(
    "/v1/publicity-batches/{batch_id}/objections",
    status_code=201,
    summary="Record an objection raised during 公示",
    responses=problem_responses(NotFound, RuleViolated),
)
async def record_objection(
    batch_id: UUID, body: ObjectionCreate, session: SessionDep, principal: Writer
) -> ObjectionRead:
    row = await service.record_objection(session, principal, batch_id=batch_id, request=body)
    return ObjectionRead.model_validate(row)


@router.get(
    "/v1/publicity-batches/{batch_id}/objections",
    summary="Objections to a 公示 list",
    responses=problem_responses(NotFound),
)
async def list_objections(batch_id: UUID, session: SessionDep, principal: Reader) -> ObjectionList:
    rows = await service.list_objections(session, principal, batch_id=batch_id)
    return ObjectionList(items=[ObjectionRead.model_validate(r) for r in rows])


@router.post(
    "/v1/objections/{objection_id}/resolution",
    summary="Resolve an objection (upheld: the award is rejected)",
    responses=problem_responses(NotFound, Conflict),
)
async def resolve_objection(
    objection_id: UUID, body: ObjectionResolve, session: SessionDep, principal: Writer
) -> ObjectionRead:
    row = await service.resolve_objection(
        session, principal, objection_id=objection_id, request=body
    )
    return ObjectionRead.model_validate(row)


@router.post(
    "/v1/publicity-batches/{batch_id}/approval",
    summary="县级审批 of every award still on a 公示 list (all or none)",
    responses=problem_responses(NotFound, WorkflowConflict),
)
async def approve_batch(
    batch_id: UUID, body: AwardApproval, session: SessionDep, principal: Writer
) -> PublicityBatchRead:
    count = await service.approve_batch(session, principal, batch_id=batch_id, request=body)
    batch, _ = await service.get_batch(session, principal, batch_id=batch_id)
    return PublicityBatchRead.model_validate(batch).model_copy(update={"awards": count})


# --- disbursements -----------------------------------------------------------------------------


@router.post(
    "/v1/disbursements",
    status_code=201,
    summary="资金发放: record a payment batch",
    responses=problem_responses(RuleViolated, Conflict),
)
async def record_disbursement(
    body: DisbursementCreate, session: SessionDep, principal: Writer, response: Response
) -> DisbursementRead:
    """Every line or none: approved awards of the county, each amount ≤ what is left (422
    `amount_within_remaining`), not after the grace period of a lost category (409
    `grace_period_ended`). Emits `assistance.disbursement.recorded` per line."""
    batch, items = await service.record_disbursement(session, principal, request=body)
    response.headers["Location"] = f"/v1/disbursements/{batch.id}"
    return service.disbursement_read(batch, items)


@router.get(
    "/v1/disbursements/{disbursement_id}",
    summary="One payment batch",
    responses=problem_responses(NotFound),
)
async def get_disbursement(
    disbursement_id: UUID, session: SessionDep, principal: Reader
) -> DisbursementRead:
    return await service.get_disbursement(session, principal, disbursement_id=disbursement_id)


# --- status notices ----------------------------------------------------------------------------


@router.get(
    "/v1/notices", summary="Status notices (category lost or gained)", responses=problem_responses()
)
async def list_notices(
    session: SessionDep,
    principal: Reader,
    county_code: Annotated[CountyCode | None, Query()] = None,
    student_id: UUID | None = None,
    award_id: UUID | None = None,
    status: Annotated[str | None, Query(pattern=r"^(open|appealed|resolved)$")] = None,
) -> NoticeList:
    rows = await service.list_notices(
        session,
        principal,
        filters={
            "county_code": county_code,
            "student_id": student_id,
            "award_id": award_id,
            "status": status,
        },
    )
    return NoticeList(items=[service.notice_read(r, principal) for r in rows])


@router.post(
    "/v1/notices/{notice_id}/appeal",
    summary="申诉: contest a status change (payments continue while it is open)",
    responses=problem_responses(NotFound, Conflict),
)
async def appeal_notice(
    notice_id: UUID, body: NoticeAppeal, session: SessionDep, principal: Writer
) -> NoticeRead:
    row = await service.appeal_notice(session, principal, notice_id=notice_id, request=body)
    return service.notice_read(row, principal)


@router.post(
    "/v1/notices/{notice_id}/resolution",
    summary="Decide an appeal (upheld: the award stays payable)",
    responses=problem_responses(NotFound, Conflict),
)
async def resolve_notice(
    notice_id: UUID, body: NoticeResolve, session: SessionDep, principal: Writer
) -> NoticeRead:
    row = await service.resolve_notice(session, principal, notice_id=notice_id, request=body)
    return service.notice_read(row, principal)


# --- transfers ---------------------------------------------------------------------------------


@router.post(
    "/v1/students/{student_id}/transfers",
    status_code=201,
    summary="异地转学: move a student to another school or county (award history stays)",
    responses=problem_responses(NotFound, RuleViolated),
)
async def transfer_student(
    student_id: UUID, body: TransferCreate, session: SessionDep, principal: Writer
) -> TransferRead:
    row = await service.transfer_student(session, principal, student_id=student_id, request=body)
    return TransferRead.model_validate(row)


@router.get(
    "/v1/students/{student_id}/transfers",
    summary="A student's transfers",
    responses=problem_responses(NotFound),
)
async def list_transfers(student_id: UUID, session: SessionDep, principal: Reader) -> TransferList:
    rows = await service.list_transfers(session, principal, student_id=student_id)
    return TransferList(items=[TransferRead.model_validate(r) for r in rows])


# --- calendar ----------------------------------------------------------------------------------

Year = Annotated[int, Path(ge=2000, le=2100)]


@router.put(
    "/v1/calendars/{year}",
    summary="工作日历: a year's official holidays and 调休 working weekends",
    responses=problem_responses(RuleViolated),
)
async def put_calendar(
    year: Year, body: CalendarPut, session: SessionDep, principal: Writer
) -> CalendarRead:
    """Replaces the year as a whole; cite the State Council notice in `source`."""
    await service.put_calendar(session, principal, year=year, request=body)
    return await service.get_calendar(session, year=year)


@router.get(
    "/v1/calendars/{year}",
    summary="A year's working calendar",
    responses=problem_responses(NotFound),
)
async def get_calendar(year: Year, session: SessionDep, principal: Reader) -> CalendarRead:
    return await service.get_calendar(session, year=year)
