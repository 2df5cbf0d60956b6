"""HTTP of the family-facing read path: withdrawal, the family's lottery explanation, the
admissions list and the lookup of a child's applications by citizen ID."""

from __future__ import annotations

from typing import Annotated, cast
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request, Response
from sqlalchemy import Table
from starlette.responses import Response as PlainResponse

from enrollment.admission import lifecycle, reads, service
from enrollment.admission.audit import Read, Searched, Updated, touched
from enrollment.admission.endpoints import _read, _secret
from enrollment.admission.models import Application
from enrollment.admission.read_schemas import (
    PII,
    AdmissionItem,
    AdmissionPage,
    ApplicationMatches,
    ApplicationRead,
    ApplicationSearch,
    FamilyExplanation,
    WithdrawalCreate,
)
from enrollment.admission.repository import AdmissionRepository, ApplicationRepository
from enrollment.admission.schemas import TransitionCreate, Year
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.classification import masked
from junheng_kit.conditional import matches
from junheng_kit.db import SessionDep
from junheng_kit.etags import etag, version_from_if_match
from junheng_kit.fast_routes import FastRequest
from junheng_kit.identifiers import CountyCode, SchoolCode, student_key
from junheng_kit.pagination import CursorQuery, LimitQuery, cut_page, decode_uuid_cursor
from junheng_kit.point_reads import PointRead
from junheng_kit.problems import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    RuleViolated,
    problem_responses,
)
from junheng_kit.timeutil import china_today

router = APIRouter(tags=["admission"])

Reader = Annotated[Principal, Depends(require_scopes("enrollment:read"))]
Writer = Annotated[Principal, Depends(require_scopes("enrollment:write"))]
PiiReader = Annotated[Principal, Depends(require_scopes("enrollment:read", PII))]


@router.post(
    "/v1/applications/{application_id}/withdrawal",
    summary="The family withdraws its application (撤回申请)",
    responses=problem_responses(NotFound, Conflict, PreconditionFailed, RuleViolated),
)
async def withdraw_application(
    audit: Updated,
    application_id: UUID,
    body: WithdrawalCreate,
    session: SessionDep,
    principal: Writer,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> ApplicationRead:
    """Before admission only: an admitted application is a 409 `admission_stands`; a rejected
    or already withdrawn one a 422 `review_transition`. The step is in `/history`; a run
    confirmed later does not admit a withdrawn family (its seat stays free)."""
    application = await service.transition(
        session,
        principal,
        application_id=application_id,
        request=TransitionCreate(to="withdrawn", reason=body.reason),
        if_match=version_from_if_match(if_match),
        today=china_today(),
    )
    touched(audit, application, principal)
    response.headers["ETag"] = etag(application.version, unmasked=reads.shows_pii(principal))
    return await _read(session, application, principal)


@router.get(
    "/v1/applications/{application_id}/explanation",
    summary="Why this family got its school (派位说明)",
    responses=problem_responses(NotFound),
)
async def application_explanation(
    audit: Read, application_id: UUID, session: SessionDep, principal: Reader
) -> FamilyExplanation:
    """The family's lottery number and tier, the schools it ranked, and for each school ranked
    above the one it got: that school's cutoff (last admitted tier and lottery number) and why
    the family was not admitted, in Chinese and English. From the run its admission came from
    (or the newest run it was in); 404 when it was in no run over stored applications."""
    touched(
        audit,
        await ApplicationRepository(session).get(application_id, within=principal.jurisdiction),
        principal,
    )
    return await lifecycle.explanation(session, principal, application_id)


@router.get(
    "/v1/admissions",
    summary="Admissions (录取名单), by school or run",
    responses=problem_responses(),
)
async def list_admissions(
    session: SessionDep,
    principal: Reader,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    county_code: CountyCode | None = None,
    year: Year | None = None,
    school_code: SchoolCode | None = None,
    run_id: UUID | None = None,
) -> AdmissionPage:
    """Confirmed admissions in the caller's jurisdiction, by application id; the 学籍号 is masked
    without `enrollment:pii`. `via`: `lottery` (the run) or `placement` (统筹)."""
    rows = await AdmissionRepository(session).page(
        within=principal.jurisdiction,
        county_code=county_code,
        year=year,
        school_code=school_code,
        run_id=run_id,
        after=decode_uuid_cursor(cursor),
        limit=limit,
    )
    rows, next_cursor = cut_page(rows, limit, key=lambda row: row[0].application_id)
    page = AdmissionPage(
        items=[
            AdmissionItem(
                application_id=a.application_id,
                county_code=a.county_code,
                year=a.year,
                level=a.level,
                school_code=a.school_code,
                school_name=name,
                via=lifecycle.VIA[a.route],
                run_id=a.run_id,
                student_number=a.student_number,
                distance_km=a.distance_km,
                confirmed_at=a.confirmed_at,
            )
            for a, name in rows
        ],
        next_cursor=next_cursor,
    )
    return page if reads.shows_pii(principal) else masked(page)


@router.post(
    "/v1/applications/search",
    summary="A child's applications by citizen ID (needs enrollment:pii)",
    responses=problem_responses(Forbidden),
)
async def search_applications(
    audit: Searched,
    body: ApplicationSearch,
    request: Request,
    session: SessionDep,
    principal: PiiReader,
) -> ApplicationMatches:
    """Every application of the child (any year) in the caller's jurisdiction, newest first,
    unmasked. POST keeps the 公民身份号码 out of URLs and access logs; 403 `scope_required`
    without `enrollment:pii`."""
    applications = await lifecycle.applications_of_child(
        session, principal, citizen_id=body.citizen_id, secret=_secret(request.app.state)
    )
    audit.touched(student_keys=[student_key(_secret(request.app.state), body.citizen_id)])
    for application in applications:
        touched(audit, application, principal)
    return ApplicationMatches(items=[await _read(session, a, principal) for a in applications])


# the one indexed read a poll's 304 needs (junheng_kit.point_reads: no session, no ORM)
APPLICATION_VERSION = PointRead(
    cast(Table, Application.__table__), "id", ("version", "county_code")
)


async def application_not_modified_fast(request: FastRequest) -> PlainResponse | None:
    """GET /v1/applications/{id} for a family polling its status (kit fast routes): with an
    If-None-Match that names the application's current version, 304 from one indexed read of
    that version — the checklist, the admission and the answer are neither read nor built.
    Anything else (no condition, a changed version, no token or scope, an unknown id, a query
    string) is left to the route, which answers it (and its 200 or 404) as always."""
    condition = request.header(b"if-none-match")
    if condition is None or request.scope.get("query_string"):
        return None
    try:
        application_id = UUID(request.scope["path"].rsplit("/", 1)[1])
    except ValueError:
        return None
    principal = await request.principal("enrollment:read")
    if principal is None:
        return None
    row = await APPLICATION_VERSION.fetch(request.state.sessionmaker.kw["bind"], application_id)
    if row is None or not principal.jurisdiction.covers_code(row[1]):
        return None
    current = etag(row[0], unmasked=reads.shows_pii(principal))
    if not matches(condition, current.encode()):
        return None
    return PlainResponse(status_code=304, headers={"etag": current})
