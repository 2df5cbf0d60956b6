"""Seat-plan use-cases: apply enrollment's events to the read model, show it per county-year."""

import logging
from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.seats import rules
from evaluation.seats.models import SeatPlan
from evaluation.seats.repository import SeatPlanRepository
from evaluation.seats.schemas import SeatPlanRead, SeatPlansRead, SectionOverCapRead
from evaluation.verdict.catalogue import VerdictCatalogue
from evaluation.verdict.service import catalogue_for_year, class_size_caps
from junheng_contracts.enrollment import SchoolSeatsChanged
from junheng_kit.auth import Principal
from junheng_kit.timeutil import utcnow

log = logging.getLogger("evaluation.seats")


async def apply_seats(session: AsyncSession, event: SchoolSeatsChanged) -> bool:
    """Keep the plan when the event is newer than the copy; a stale or equal version changes
    nothing (events may arrive out of order). The plans are the intake's planning view: the
    verdict judges 班额 on the county's real classes (evaluation.classes), not on them."""
    data = event.data
    repository = SeatPlanRepository(session)
    plan = await repository.plan(data.school_code, data.year, data.level)
    if plan is not None and plan.version >= data.version:
        log.info(
            "seat_plan.stale_skipped",
            extra={
                "school_code": data.school_code,
                "year": data.year,
                "level": data.level,
                "version": data.version,
                "have": plan.version,
            },
        )
        return False
    if plan is None:
        plan = SeatPlan(school_code=data.school_code, year=data.year, level=data.level)
        repository.add(plan)
    plan.county_code = data.county_code
    plan.grade = data.grade
    plan.planned_classes = data.planned_classes
    plan.class_cap = data.class_cap
    plan.seats = data.seats
    plan.version = data.version
    plan.source_event_id = event.id
    plan.event_time = event.time if event.time.tzinfo else event.time.replace(tzinfo=UTC)
    plan.synced_at = utcnow()
    await session.flush()
    return True


async def seat_plans(
    session: AsyncSession, principal: Principal, *, county_code: str, year: int
) -> SeatPlansRead:
    """学位计划 of a county-year as enrollment last sent them, with the 班额 they imply."""
    principal.require_jurisdiction(county_code, field="county_code")
    catalogue: VerdictCatalogue = catalogue_for_year(year)
    repository = SeatPlanRepository(session)
    plans = await repository.plans(county_code, year)
    caps = class_size_caps(catalogue)
    measure = rules.class_size(await repository.figures(county_code, year), caps)
    return SeatPlansRead(
        county_code=county_code,
        year=year,
        catalogue_version=catalogue.version,
        caps=caps,
        measured=measure.measured,
        over_cap=[SectionOverCapRead.of(s) for s in measure.over_cap],
        plans=[
            SeatPlanRead(
                school_code=p.school_code,
                level=p.level,
                grade=p.grade,
                planned_classes=p.planned_classes,
                class_cap=p.class_cap,
                seats=p.seats,
                largest_class=None if p.planned_classes == 0 else -(-p.seats // p.planned_classes),
                version=p.version,
                source=rules.seats_source(p.source_event_id, p.version, p.event_time),
                synced_at=p.synced_at,
            )
            for p in plans
        ],
    )
