"""交流轮岗 plan lifecycle: generate a draft, each school's confirmation, the bureau's approval,
execution through the teacher registry; the If-Match and status checks every transition makes.

draft → confirmed by every sending and receiving school → approved → executed.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from junheng_contracts.staffing import RotationPlanApproved, RotationPlanApprovedData
from junheng_kit.auth import Principal
from junheng_kit.etags import require_version
from junheng_kit.i18n import t as tt
from junheng_kit.messaging import add_event
from junheng_kit.problems import Conflict, FieldError, RuleViolated
from junheng_kit.timeutil import utcnow
from staffing.policy.service import policy_book
from staffing.quotas.service import school_year_start
from staffing.rotation.answers import plan_result, schools_of
from staffing.rotation.inputs import read_inputs
from staffing.rotation.models import (
    PlanStatus,
    RotationConfirmation,
    RotationExecution,
    RotationPlan,
)
from staffing.rotation.optimiser.rules import generate_plan
from staffing.rotation.parameters import resolve_parameters
from staffing.rotation.repository import RotationPlanRepository, county_teachers
from staffing.rotation.schemas import (
    ApprovalCreate,
    ConfirmationCreate,
    ExecutionCreate,
    RotationPlanCreate,
    RotationPlanList,
    RotationPlanResult,
    RotationPlanSummary,
)
from staffing.teachers import rules as teacher_rules
from staffing.teachers import service as teachers
from staffing.teachers.schemas import MoveCreate


async def create_plan(
    session: AsyncSession, principal: Principal, *, county_code: str, request: RotationPlanCreate
) -> RotationPlan:
    """Generate a draft plan with the optimiser and store it with its reasons: read the
    parameters and the county's schools and teachers, optimise (pure), write the plan."""
    principal.require_jurisdiction(county_code, field="county_code")
    on = request.on or school_year_start(request.year)
    book = await policy_book(session, county_code)
    resolved = resolve_parameters(book, county_code, on, request)
    inputs = await read_inputs(session, county_code, request, on, resolved.retirement_age)
    plan = generate_plan(
        teachers=inputs.teachers,
        schools=inputs.schools,
        parameters=resolved.parameters,
        on=on,
        subject_needs=inputs.subject_needs,
        fixed_moves=inputs.fixed_moves,
    )
    result = plan_result(
        county_code, request.year, on, resolved, plan, inputs.names, inputs.warnings
    )
    return await _store(session, principal, request, result)


async def _store(
    session: AsyncSession,
    principal: Principal,
    request: RotationPlanCreate,
    result: RotationPlanResult,
) -> RotationPlan:
    """A new plan row: a draft, or confirmed at once when it has no moves (nobody confirms)."""
    row = RotationPlan(
        county_code=result.county_code,
        year=result.year,
        status=PlanStatus.CONFIRMED if not result.moves else PlanStatus.DRAFT,
        request=request.model_dump(mode="json"),
        result=result.model_dump(mode="json"),
        quota_rules_met=result.quota_rules_met,
        created_by=principal.client_id,
    )
    RotationPlanRepository(session).add(row)
    await session.flush()
    return row


async def get_plan(session: AsyncSession, principal: Principal, *, plan_id: UUID) -> RotationPlan:
    return await RotationPlanRepository(session).get(plan_id, within=principal.jurisdiction)


async def list_plans(
    session: AsyncSession, principal: Principal, *, county_code: str, year: int | None
) -> RotationPlanList:
    principal.require_jurisdiction(county_code, field="county_code")
    plans = await RotationPlanRepository(session).in_county(county_code, year)
    return RotationPlanList(
        items=[
            RotationPlanSummary(
                id=p.id,
                year=p.year,
                status=p.status,
                rotated=p.result["rotated"],
                quota_rules_met=p.quota_rules_met,
                created_at=p.created_at,
            )
            for p in plans
        ]
    )


# ---- transitions ----------------------------------------------------------------------------


def require_plan_version(plan: RotationPlan, if_match: int | None) -> None:
    """If-Match: a transition applies only to the version the caller last saw (412 otherwise)."""
    require_version(
        tt(f"交流轮岗方案 {plan.id}", f"rotation plan {plan.id}"), plan.version, if_match
    )


def require_status(plan: RotationPlan, *allowed: PlanStatus, action: str) -> None:
    if plan.status not in allowed:
        raise Conflict(
            tt(
                f"方案状态为 {plan.status.value}；{action} 需要 "
                + " 或 ".join(a.value for a in allowed),
                f"the plan is {plan.status.value}; {action} needs "
                + " or ".join(a.value for a in allowed),
            ),
            FieldError(
                "status",
                "rotation_plan_workflow",
                tt(
                    "草稿 → 各校确认 → 批准 → 执行",
                    "draft → confirmed by every school → approved → executed",
                ),
            ),
        )


async def confirm(
    session: AsyncSession,
    principal: Principal,
    *,
    plan_id: UUID,
    request: ConfirmationCreate,
    if_match: int | None = None,
) -> RotationPlan:
    """学校确认: a sending or receiving school confirms; with the last one the plan is confirmed."""
    repository = RotationPlanRepository(session)
    plan = await repository.get(plan_id, within=principal.jurisdiction)
    require_plan_version(plan, if_match)
    require_status(plan, PlanStatus.DRAFT, action="a school confirmation")
    schools = schools_of(plan)
    if request.school_code not in schools:
        raise RuleViolated(
            tt("该校不在方案中", "the school is not in the plan"),
            FieldError(
                "school_code",
                "school_in_plan",
                tt("只有派出和接收学校需要确认", "only sending and receiving schools confirm"),
            ),
        )
    confirmed = {c.school_code for c in await repository.confirmations(plan.id)}
    if request.school_code in confirmed:
        raise Conflict(
            tt("已确认", "already confirmed"), FieldError("school_code", "school_confirms_once")
        )
    repository.add_all(
        [
            RotationConfirmation(
                plan_id=plan.id,
                school_code=request.school_code,
                signatory=request.signatory,
                note=request.note,
                confirmed_by=principal.client_id,
            )
        ]
    )
    if confirmed | {request.school_code} >= set(schools):
        plan.status = PlanStatus.CONFIRMED
    else:
        flag_modified(plan, "status")  # every confirmation is a new version (a new ETag)
    await session.flush()
    return plan


async def approve(
    session: AsyncSession,
    principal: Principal,
    *,
    plan_id: UUID,
    request: ApprovalCreate,
    if_match: int | None = None,
) -> RotationPlan:
    """局审批: a confirmed plan is approved; one that misses a share rule only with a written
    justification (422 naming each missed rule otherwise); emits
    `staffing.rotation_plan.approved`."""
    plan = await RotationPlanRepository(session).get(plan_id, within=principal.jurisdiction)
    require_plan_version(plan, if_match)
    require_status(plan, PlanStatus.CONFIRMED, action="approval")
    shortfalls = plan.result["shortfalls"]
    if shortfalls and not request.justification:
        raise RuleViolated(
            tt(
                "the plan falls short of the rotation (交流轮岗) share: an approval states its "
                "reason",
                "方案未达到交流轮岗比例要求，批准须说明理由",
            ),
            *(
                FieldError(
                    "justification",
                    s["rule"],
                    tt(
                        f"计划 {s['planned']}，要求 {s['required']}：{s['reason']}",
                        f"planned {s['planned']}, required {s['required']}: {s['reason']}",
                    ),
                )
                for s in shortfalls
            ),
        )
    plan.status = PlanStatus.APPROVED
    plan.justification = request.justification
    plan.approved_by = principal.client_id
    plan.approved_at = utcnow()
    await session.flush()
    result = plan.result
    add_event(
        session,
        RotationPlanApproved.of(
            subject=str(plan.id),
            jurisdiction=plan.county_code,
            data=RotationPlanApprovedData(
                plan_id=str(plan.id),
                county_code=plan.county_code,
                year=plan.year,
                eligible=result["pool"]["eligible"],
                rotated=result["rotated"],
                backbone_rotated=result["backbone_rotated"],
                required_rotated=result["required_rotated"],
                required_backbone=result["required_backbone"],
                quota_rules_met=plan.quota_rules_met,
                justification=request.justification,
                receiving_schools=result["receiving_schools"],
                sending_schools=result["sending_schools"],
            ),
        ),
    )
    return plan


async def execute(
    session: AsyncSession,
    principal: Principal,
    *,
    plan_id: UUID,
    request: ExecutionCreate,
    if_match: int | None = None,
) -> RotationPlan:
    """执行: record each move through the teacher registry's move (history, stats, events), all
    in this transaction; a move the registry refuses refuses them all."""
    repository = RotationPlanRepository(session)
    plan = await repository.get(plan_id, within=principal.jurisdiction)
    require_plan_version(plan, if_match)
    require_status(plan, PlanStatus.APPROVED, action="execution")
    planned = {m["teacher_id"]: m for m in plan.result["moves"]}
    moves = (
        [(UUID(m["teacher_id"]), m["to_school"]) for m in plan.result["moves"]]
        if request.moves is None
        else [(m.teacher_id, m.to_school_code) for m in request.moves]
    )
    staff = {t.id: t for t in await county_teachers(session, plan.county_code)}
    errors = [
        FieldError(
            f"moves[{i}].teacher_id",
            "teacher_in_county",
            tt(
                "本方案所在区县没有此 id 的在职教师",
                "no active teacher of the plan's county has this id",
            ),
        )
        for i, (teacher_id, _) in enumerate(moves)
        if teacher_id not in staff
    ]
    if errors:
        raise RuleViolated(tt("执行名单有误", "the execution list is wrong"), *errors)
    sets = teacher_rules.indicator_sets(request.moved_on)
    rows = []
    for teacher_id, to_school in moves:
        teacher = staff[teacher_id]
        await teachers.move_teacher(
            session,
            principal,
            teacher_id=teacher_id,
            request=MoveCreate(
                to_school_code=to_school,
                moved_on=request.moved_on,
                reason="交流轮岗",
                plan_reference=f"rotation-plan:{plan.id}",
            ),
        )
        plan_move = planned.get(str(teacher_id))
        rows.append(
            RotationExecution(
                plan_id=plan.id,
                teacher_id=teacher_id,
                from_school=teacher.school_code,
                to_school=to_school,
                is_backbone=plan_move["is_backbone"]
                if plan_move
                else teacher.backbone_level in sets.backbone_levels,
                moved_on=request.moved_on,
                recorded_by=principal.client_id,
            )
        )
    repository.add_all(rows)
    plan.status = PlanStatus.EXECUTED
    plan.executed_by = principal.client_id
    plan.executed_at = utcnow()
    await session.flush()
    return plan
