from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response

from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.etags import etag, version_from_if_match
from junheng_kit.identifiers import CountyCode
from junheng_kit.pagination import CursorQuery, LimitQuery
from junheng_kit.problems import (
    Conflict,
    NotFound,
    PreconditionFailed,
    RuleViolated,
    problem_responses,
)
from staffing.rotation import lifecycle
from staffing.rotation.answers import plan_read
from staffing.rotation.reports import service as reports
from staffing.rotation.schemas import (
    AdherenceRead,
    ApprovalCreate,
    ConfirmationCreate,
    ExecutionCreate,
    RotationPlanCreate,
    RotationPlanList,
    RotationPlanRead,
    RuralServicePage,
    TitleStructureList,
)

county_router = APIRouter(prefix="/v1/counties/{county_code}", tags=["rotation"])
router = APIRouter(prefix="/v1/rotation-plans", tags=["rotation"])

Reader = Annotated[Principal, Depends(require_scopes("staffing:read"))]
Writer = Annotated[Principal, Depends(require_scopes("staffing:write"))]
OnQuery = Annotated[date, Query(description="the date the figures and rules are taken on")]
IfMatch = Annotated[
    str | None,
    Header(description='the plan\'s ETag (`"<version>"`); 412 when the plan changed since'),
]


@county_router.post(
    "/rotation-plans",
    status_code=201,
    summary="Generate a draft 交流轮岗 plan (optimised)",
    responses=problem_responses(RuleViolated),
)
async def create_rotation_plan(
    county_code: CountyCode,
    body: RotationPlanCreate,
    session: SessionDep,
    principal: Writer,
    response: Response,
) -> RotationPlanRead:
    """The eligible pool (the county's own condition: ≥ `rotation_trigger_years` at one school,
    not within the retirement window; of it, principals and backbone teachers with
    `rotation_priority_years` — seed 000: 6 — go first), the
    required counts (≥ 10 % of eligible, backbone ≥ 20 % of rotated — the county's parameters),
    and moves chosen by a MILP (HiGHS) that maximises the receiving schools' gain on indicators
    1–3 per 100 pupils within subject needs, direction (urban → rural or stronger → weaker),
    distance and free approved posts. A plan that cannot meet a share rule is still a draft,
    flagged with the reason; approving it needs a justification."""
    plan = await lifecycle.create_plan(session, principal, county_code=county_code, request=body)
    response.headers["Location"] = f"/v1/rotation-plans/{plan.id}"
    response.headers["ETag"] = etag(plan.version)
    return await plan_read(session, plan)


@county_router.get(
    "/rotation-plans", summary="The county's rotation plans", responses=problem_responses()
)
async def list_rotation_plans(
    county_code: CountyCode,
    session: SessionDep,
    principal: Reader,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> RotationPlanList:
    return await lifecycle.list_plans(session, principal, county_code=county_code, year=year)


@router.get("/{plan_id}", summary="A rotation plan", responses=problem_responses(NotFound))
async def get_rotation_plan(
    plan_id: UUID, session: SessionDep, principal: Reader, response: Response
) -> RotationPlanRead:
    plan = await lifecycle.get_plan(session, principal, plan_id=plan_id)
    response.headers["ETag"] = etag(plan.version)
    return await plan_read(session, plan)


@router.post(
    "/{plan_id}/confirmations",
    status_code=201,
    summary="A sending or receiving school confirms the plan (学校确认)",
    responses=problem_responses(NotFound, Conflict, PreconditionFailed, RuleViolated),
)
async def confirm_rotation_plan(
    plan_id: UUID,
    body: ConfirmationCreate,
    session: SessionDep,
    principal: Writer,
    response: Response,
    if_match: IfMatch = None,
) -> RotationPlanRead:
    """When every sending and receiving school has confirmed, the plan is `confirmed`."""
    plan = await lifecycle.confirm(
        session,
        principal,
        plan_id=plan_id,
        request=body,
        if_match=version_from_if_match(if_match),
    )
    response.headers["ETag"] = etag(plan.version)
    return await plan_read(session, plan)


@router.post(
    "/{plan_id}/approval",
    summary="The bureau approves a confirmed plan (局审批)",
    responses=problem_responses(NotFound, Conflict, PreconditionFailed, RuleViolated),
)
async def approve_rotation_plan(
    plan_id: UUID,
    body: ApprovalCreate,
    session: SessionDep,
    principal: Writer,
    response: Response,
    if_match: IfMatch = None,
) -> RotationPlanRead:
    """A plan that misses the 10 % or 20 % rule is refused (422 naming each rule) unless the
    body gives a justification; emits `staffing.rotation_plan.approved`."""
    plan = await lifecycle.approve(
        session,
        principal,
        plan_id=plan_id,
        request=body,
        if_match=version_from_if_match(if_match),
    )
    response.headers["ETag"] = etag(plan.version)
    return await plan_read(session, plan)


@router.post(
    "/{plan_id}/execution",
    summary="Record the executed moves in the teacher registry (执行)",
    responses=problem_responses(NotFound, Conflict, PreconditionFailed, RuleViolated),
)
async def execute_rotation_plan(
    plan_id: UUID,
    body: ExecutionCreate,
    session: SessionDep,
    principal: Writer,
    response: Response,
    if_match: IfMatch = None,
) -> RotationPlanRead:
    """Every move goes through the registry's move (append-only history, recounted indicators,
    `staffing.teacher.moved`), in one transaction. `moves` records what was really done when it
    differs from the plan; the adherence report then shows how."""
    plan = await lifecycle.execute(
        session,
        principal,
        plan_id=plan_id,
        request=body,
        if_match=version_from_if_match(if_match),
    )
    response.headers["ETag"] = etag(plan.version)
    return await plan_read(session, plan)


@router.get(
    "/{plan_id}/adherence",
    summary="Executed moves against the approved plan and the quotas (执行情况)",
    responses=problem_responses(NotFound, Conflict),
)
async def rotation_plan_adherence(
    plan_id: UUID, session: SessionDep, principal: Reader
) -> AdherenceRead:
    return await reports.adherence_report(session, principal, plan_id=plan_id)


@county_router.get(
    "/rural-service",
    summary="Rural service years and what they qualify for (乡村任教)",
    responses=problem_responses(),
)
async def list_rural_service(
    county_code: CountyCode,
    on: OnQuery,
    session: SessionDep,
    principal: Reader,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> RuralServicePage:
    """Per teacher: rural service up to `on` and whether it meets the county's senior-title
    prerequisite and principal-priority rules (null where the county has none in force)."""
    return await reports.rural_service(
        session, principal, county_code=county_code, on=on, cursor=cursor, limit=limit
    )


@county_router.get(
    "/title-structure",
    summary="Title structure per school against the target ratio (岗位结构比例)",
    responses=problem_responses(),
)
async def list_title_structure(
    county_code: CountyCode, on: OnQuery, session: SessionDep, principal: Reader
) -> TitleStructureList:
    return await reports.title_structures(session, principal, county_code=county_code, on=on)
