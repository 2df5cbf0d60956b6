"""A rotation plan's answers: the optimiser's plan as the stored result (with the parameters
used, the moves and their reasons), and a stored plan as it is read (status, confirmations,
version)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from staffing.rotation.models import RotationPlan
from staffing.rotation.optimiser.plan import IndicatorChange, Plan, PriorityException
from staffing.rotation.parameters import Resolved
from staffing.rotation.repository import RotationPlanRepository
from staffing.rotation.schemas import (
    ConfirmationRead,
    IndicatorChangeRead,
    MoveRead,
    MoveWhyRead,
    PoolRead,
    PriorityExceptionRead,
    PriorityRead,
    RotationPlanRead,
    RotationPlanResult,
    ShortfallRead,
)

SOLVER = "scipy.optimize.milp (HiGHS)"


def _changes(changes: tuple[IndicatorChange, ...]) -> list[IndicatorChangeRead]:
    return [
        IndicatorChangeRead(key=c.key, threshold=c.threshold, before=c.before, after=c.after)
        for c in changes
    ]


def _exception(e: PriorityException, years: int | None) -> PriorityExceptionRead:
    return PriorityExceptionRead(
        school_code=e.school_code,
        moved=list(e.moved),
        staying=list(e.staying),
        message=(
            f"{e.school_code}：{len(e.moved)} 名未满 {years} 年的校长或骨干教师交流，"
            f"{len(e.staying)} 名满 {years} 年的优先人选留任 / {len(e.moved)} principal(s) or "
            f"backbone teacher(s) under {years} years move while {len(e.staying)} with "
            f"{years} or more years stay (seed 000: they rotate first)"
        ),
    )


def plan_result(
    county_code: str,
    year: int,
    on: date,
    resolved: Resolved,
    plan: Plan,
    names: dict[str, str],
    warnings: list[str],
) -> RotationPlanResult:
    """The stored form of a generated plan (`rotation_plan.result`), names included; each
    priority exception is also a line of `warnings`."""
    years = resolved.parameters.priority_years
    exceptions = [_exception(e, years) for e in plan.priority_exceptions]
    return RotationPlanResult(
        county_code=county_code,
        year=year,
        on=on,
        solver=SOLVER,
        parameters=resolved.used,
        pool=PoolRead(
            eligible=plan.eligible,
            excluded=dict(plan.excluded),
            candidates_with_destination=plan.candidates_with_destination,
        ),
        required_rotated=plan.required_rotated,
        target_rotated=plan.target_rotated,
        required_backbone=plan.required_backbone,
        rotated=plan.rotated,
        backbone_rotated=plan.backbone_rotated,
        quota_rules_met=not plan.shortfalls,
        shortfalls=[
            ShortfallRead(rule=s.rule, required=s.required, planned=s.planned, reason=s.reason)
            for s in plan.shortfalls
        ],
        objective=plan.objective,
        optimality_gap=plan.optimality_gap,
        moves=[
            MoveRead(
                teacher_id=m.teacher_id,
                teacher_name=names[m.teacher_id],
                from_school=m.from_school,
                to_school=m.to_school,
                section=m.section,
                subject=m.subject,
                is_backbone=m.is_backbone,
                fixed=m.fixed,
                pooled=m.pooled,
                pooling_reference=m.pooling_reference,
                leadership_post=m.leadership_post,
                is_priority=m.is_priority,
                why=MoveWhyRead(
                    gain=m.why.gain,
                    adds=list(m.why.adds),
                    direction=m.why.direction,
                    sending_strength=m.why.sending_strength,
                    receiving_strength=m.why.receiving_strength,
                    distance_km=m.why.distance_km,
                    receiving_indicators=_changes(m.why.receiving_indicators),
                    sending_indicators=_changes(m.why.sending_indicators),
                ),
            )
            for m in plan.moves
        ],
        sending_schools=sorted({m.from_school for m in plan.moves}),
        receiving_schools=sorted({m.to_school for m in plan.moves}),
        free_posts=dict(plan.free_posts),
        warnings=[*warnings, *(e.message for e in exceptions)],
        priority=PriorityRead(
            years=years,
            pool=plan.priority_pool,
            moved=plan.priority_moved,
            exceptions=exceptions,
        ),
    )


async def plan_read(session: AsyncSession, plan: RotationPlan) -> RotationPlanRead:
    """A stored plan as it is read: the result, status, confirmations, who awaits, version."""
    confirmations = await RotationPlanRepository(session).confirmations(plan.id)
    confirmed = {c.school_code for c in confirmations}
    return RotationPlanRead(
        **plan.result,
        id=plan.id,
        status=plan.status,
        confirmations=[
            ConfirmationRead.model_validate(c, from_attributes=True) for c in confirmations
        ],
        awaiting_confirmation=[c for c in schools_of(plan) if c not in confirmed],
        justification=plan.justification,
        created_by=plan.created_by,
        created_at=plan.created_at,
        approved_by=plan.approved_by,
        approved_at=plan.approved_at,
        executed_at=plan.executed_at,
        version=plan.version,
    )


def schools_of(plan: RotationPlan) -> list[str]:
    """The sending and receiving schools: each confirms the plan."""
    return sorted(set(plan.result["sending_schools"]) | set(plan.result["receiving_schools"]))
