"""路途时间 use-cases: a county's travel models, and the 统筹 proposal with each offer's travel
time against the commute limit (seed 000). None commits."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission import placement
from enrollment.admission.rules import ENTRY_GRADE
from enrollment.admission.schemas import OverflowOfferRead, OverflowProposalRead
from enrollment.lottery.commute import policy, rules
from enrollment.lottery.commute.models import CommuteModel
from enrollment.lottery.commute.repository import CommuteModelRepository
from enrollment.lottery.commute.schemas import (
    CommuteCheckRead,
    CommuteLimitRead,
    CommuteModelCreate,
    CommuteModelRead,
    CommuteStatus,
)
from junheng_kit.auth import Principal

TENTH = Decimal("0.1")


async def set_commute_model(
    session: AsyncSession, principal: Principal, *, county_code: str, request: CommuteModelCreate
) -> CommuteModel:
    """通学时间测算参数: append the county's travel model from its own document or survey."""
    principal.require_jurisdiction(county_code, field="county_code")
    model = CommuteModel(
        county_code=county_code,
        mode=request.mode,
        speed_kmh=str(request.speed_kmh),
        detour_factor=str(request.detour_factor),
        effective_from=request.effective_from,
        effective_to=request.effective_to,
        source=request.source,
        set_by=principal.client_id,
    )
    CommuteModelRepository(session).add(model)
    await session.flush()
    return model


async def commute_models(
    session: AsyncSession, principal: Principal, *, county_code: str
) -> list[CommuteModel]:
    principal.require_jurisdiction(county_code, field="county_code")
    return await CommuteModelRepository(session).every(county_code)


def model_read(model: CommuteModel) -> CommuteModelRead:
    return CommuteModelRead.model_validate(
        {
            **{c: getattr(model, c) for c in CommuteModelRead.model_fields},
            "speed_kmh": Decimal(model.speed_kmh),
            "detour_factor": Decimal(model.detour_factor),
        }
    )


def travel_model(model: CommuteModel) -> rules.TravelModel:
    return rules.TravelModel(
        model.mode,  # type: ignore[arg-type]  # walking | school_bus, checked on the way in
        Decimal(model.speed_kmh),
        Decimal(model.detour_factor),
    )


def limit_read(limit: policy.CommuteLimit) -> CommuteLimitRead:
    return CommuteLimitRead(
        scope_code=limit.scope,
        level=limit.level,
        grades=list(range(limit.min_grade, limit.max_grade + 1)),
        max_minutes=limit.max_minutes,
        effective_from=limit.effective_from,
        effective_to=limit.effective_to,
        source=limit.source,
        evidence=limit.evidence,
    )


NOTES: dict[CommuteStatus, str] = {
    "checked": (
        "路途时间按本县测算参数估算（直线距离 × 非直线系数 ÷ 速度），超过上限的统筹安置已标记；"
        "原则性要求，仅作提示 / travel time estimated with the county's model (straight line × "
        "detour factor ÷ speed); offers over the limit are flagged — a finding, not a refusal"
    ),
    "model_not_set": (
        "本县未设定通学时间测算参数，无法估算路途时间 / the county has set no travel model: no "
        "estimate and no flag until it does (POST /v1/counties/{county}/commute-models)"
    ),
    "no_limit": (
        "本县本学段入学年级无路途时间上限 / no commute limit is in force for the county and the "
        "entry grade: minutes are shown when a model is set, nothing is flagged"
    ),
}


def _minutes(value: Decimal | None) -> float | None:
    return None if value is None else float(value.quantize(TENTH, rounding=ROUND_HALF_UP))


async def overflow_proposal(
    session: AsyncSession, principal: Principal, run_id: UUID
) -> OverflowProposalRead:
    """统筹 offers of a run with their travel time: each offer's estimated minutes under the
    county's model in force, and under the commute limit in force (seed 000 in Inner Mongolia:
    primary grades 1–3, 30 minutes) the flag of an offer over it. Both are read on the run's
    school-year start (1 September); the offers themselves are the proposal's, unchanged."""
    proposal = await placement.propose(session, principal, run_id)
    run = proposal.run
    assert run.county_code is not None  # a run over stored applications (propose checks)
    assert run.year is not None
    assert run.level is not None
    on = policy.school_year_start(run.year)
    limit = policy.limit_in_force(
        run.county_code,
        level=run.level,
        grade=ENTRY_GRADE[run.level],  # type: ignore[index]  # primary | junior
        on=on,
    )
    stored = await CommuteModelRepository(session).in_force(run.county_code, on=on)
    model = travel_model(stored) if stored is not None else None
    checked = rules.check_offers(
        [rules.Offer(o.application_id, o.school_code, o.distance_km) for o in proposal.offers],
        homes={u.application_id: rules.Point(u.longitude, u.latitude) for u in proposal.unplaced},
        schools={s.school_code: rules.Point(s.longitude, s.latitude) for s in proposal.schools},
        seats_left=proposal.remaining,
        model=model,
        limit_minutes=limit.max_minutes if limit is not None else None,
    )
    status: CommuteStatus = (
        "no_limit" if limit is None else "checked" if model is not None else "model_not_set"
    )
    return OverflowProposalRead(
        run_id=str(run_id),
        placed_by_run=len(proposal.placed),
        remaining_seats=dict(sorted(proposal.remaining.items())),
        offers=[
            OverflowOfferRead(
                application_id=o.application_id,
                school_code=o.school_code,
                distance_km=o.distance_km,
                travel_minutes=_minutes(c.minutes),
                flags=list(c.flags),
                full_within_limit=list(c.full_within_limit),
            )
            for o, c in zip(proposal.offers, checked, strict=True)
        ],
        commute=CommuteCheckRead(
            status=status,
            on=on,
            limit=limit_read(limit) if limit is not None else None,
            model=model_read(stored) if stored is not None else None,
            over_limit=sum(1 for c in checked if c.flags),
            note=NOTES[status],
        ),
    )
