"""学校师资统计: the per-school counts staffing publishes (`staffing.school_teacher_stats.changed`)
— indicators 1–3 (domain.md §5.2) and 教师5年360学时 (政府保障程度第9项) — recounted set-based
after every registry or training change, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_contracts.staffing import (
    SchoolTeacherStatsChanged,
    SchoolTeacherStatsData,
    SectionTeacherStats,
    TrainingRequirement,
)
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.messaging.bulk import add_events
from junheng_kit.problems import NotFound
from junheng_kit.timeutil import china_today, utcnow
from staffing.schools.models import School
from staffing.teachers import repository, rules
from staffing.teachers.models import SchoolTeacherStats
from staffing.training import repository as training_repository
from staffing.training import rules as training_rules


def registry_today() -> date:
    """The bureau's calendar date (China Standard Time), the `as_of` of recomputed counts (the
    kit's clock, junheng_kit.timeutil)."""
    return china_today()


async def school_stats(
    session: AsyncSession, principal: Principal, *, school_code: str
) -> SchoolTeacherStats:
    entry = await session.scalar(
        select(SchoolTeacherStats).where(
            SchoolTeacherStats.school_code == school_code,
            principal.jurisdiction.covers(SchoolTeacherStats.county_code),
        )
    )
    if entry is None:
        raise NotFound(
            t(f"学校 {school_code} 没有教师人数", f"no teacher counts for school {school_code}")
        )
    return entry


def requirement_data(stored: dict[str, Any] | None, as_of: date) -> TrainingRequirement | None:
    """The requirement as published: the stored rule and the window ending on `as_of`."""
    if stored is None:
        return None
    return TrainingRequirement(
        required_hours=stored["required_hours"],
        window_years=stored["window_years"],
        window_from=training_rules.window_from(as_of, stored["window_years"]),
        source=stored["source"],
    )


def _stored_requirement(
    requirement: training_rules.TrainingRequirement | None,
) -> dict[str, Any] | None:
    if requirement is None:
        return None
    return {
        "required_hours": requirement.required_hours,
        "window_years": requirement.window_years,
        "source": requirement.source,
    }


async def refresh_school_stats(
    session: AsyncSession,
    school_codes: Sequence[str],
    *,
    as_of: date | None = None,
    republish: bool = False,
) -> int:
    """Recount the schools (one GROUP BY for indicators 1–3, one per training requirement in
    force) and publish `staffing.school_teacher_stats.changed` for each school whose counts or
    requirement changed — with `republish`, also for each whose published counts describe
    another day than `as_of` (training hours leave the window as days pass).

    Every 学段 the school offers is reported, with zeros where it has no 专任教师; the training
    counts are null where no requirement is in force for the school's county on `as_of`.
    """
    as_of = as_of or registry_today()
    codes = sorted(set(school_codes))
    facts = await repository.schools(session, codes)
    # locked first: a concurrent change of the same schools waits here, and the counts below
    # (statements that start after it committed) include it, so versions and counts agree
    stored = await repository.stored_stats(
        session, {code: school.county_code for code, school in facts.items()}, as_of=as_of
    )
    counts = await repository.section_counts(session, codes, rules.indicator_sets(as_of))
    requirements = await training_repository.requirements(
        session, {school.county_code for school in facts.values()}, on=as_of
    )
    training = await training_repository.section_training_counts(
        session,
        {code: requirements[school.county_code] for code, school in facts.items()},
        on=as_of,
    )
    events = []
    for code in codes:
        school = facts.get(code)
        if school is None:
            continue
        requirement = requirements[school.county_code]
        sections = [
            SectionTeacherStats(
                level=section.value,
                **vars_of(counts.get((code, section), repository.ZERO)),
                **training_vars(training.get((code, section)), requirement),
            )
            for section in rules.sections_offered(school.levels)
        ]
        dumped = [s.model_dump() for s in sections]
        kept_requirement = _stored_requirement(requirement)
        entry = stored[code]
        unchanged = (
            entry.version > 0
            and entry.sections == dumped
            and entry.training_requirement == kept_requirement
        )
        if unchanged and not (republish and entry.as_of != as_of):
            continue
        entry.county_code, entry.sections, entry.as_of = school.county_code, dumped, as_of
        entry.training_requirement = kept_requirement
        entry.version += 1
        entry.updated_at = utcnow()
        events.append(
            SchoolTeacherStatsChanged.of(
                subject=code,
                jurisdiction=school.county_code,
                data=SchoolTeacherStatsData(
                    school_code=code,
                    county_code=school.county_code,
                    as_of=as_of,
                    sections=sections,
                    version=entry.version,
                    training_requirement=requirement_data(kept_requirement, as_of),
                ),
            )
        )
    await session.flush()
    await add_events(session, events)
    return len(events)


def vars_of(counts: repository.SectionCounts) -> dict[str, int]:
    return {
        "full_time_teachers": counts.full_time_teachers,
        "teachers_above_required_degree": counts.teachers_above_required_degree,
        "backbone_teachers": counts.backbone_teachers,
        "pe_arts_teachers": counts.pe_arts_teachers,
    }


def training_vars(
    counts: training_repository.TrainingCounts | None,
    requirement: training_rules.TrainingRequirement | None,
) -> dict[str, int | None]:
    """A section's training counts: null without a requirement, zeros without teachers."""
    if requirement is None:
        return {"teachers_counted_for_training": None, "teachers_meeting_training_hours": None}
    counts = counts or training_repository.NO_TEACHERS
    return {
        "teachers_counted_for_training": counts.counted,
        "teachers_meeting_training_hours": counts.meeting,
    }


async def recount_county(
    session: AsyncSession, principal: Principal, *, county_code: str
) -> tuple[date, int, int]:
    """Recount every school of the county as of today and publish each whose counts changed
    or were published on another day: (as_of, schools, published)."""
    principal.require_jurisdiction(county_code, field="county_code")
    codes = list(
        await session.scalars(
            select(School.school_code)
            .where(School.county_code == county_code)
            .order_by(School.school_code)
        )
    )
    as_of = registry_today()
    published = await refresh_school_stats(session, codes, as_of=as_of, republish=True)
    return as_of, len(codes), published
