"""Teacher-statistics use-cases: apply staffing's events to the read model (and have the
verdict re-judge the school years whose training counts they change)."""

import logging
from collections import Counter
from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.events import VerdictInputChanged
from evaluation.teachers.models import SchoolTeacherStats, SectionTeacherStats
from evaluation.teachers.repository import TeacherStatsRepository
from evaluation.teachers.rules import school_year_of
from junheng_contracts.staffing import SchoolTeacherStatsChanged
from junheng_kit import reactions
from junheng_kit.timeutil import utcnow

log = logging.getLogger("evaluation.teachers")


class DuplicateSection(ValueError):
    """An event lists one level twice: retried, then dead-lettered for a person to look at."""


async def apply_teacher_stats(session: AsyncSession, event: SchoolTeacherStatsChanged) -> bool:
    """Replace the school's counts when the event is newer than the copy; a stale or equal
    version changes nothing (events may arrive out of order). Levels the event no longer lists
    are removed: the event carries the school's full counts."""
    data = event.data
    twice = [level for level, n in Counter(s.level for s in data.sections).items() if n > 1]
    if twice:
        raise DuplicateSection(f"school {data.school_code} lists {', '.join(twice)} twice")
    repository = TeacherStatsRepository(session)
    school = await repository.school(data.school_code)
    if school is not None and school.version >= data.version:
        log.info(
            "teacher_stats.stale_skipped",
            extra={
                "school_code": data.school_code,
                "version": data.version,
                "have": school.version,
            },
        )
        return False
    # the verdict measures 教师5年360学时 on these counts: re-judge the school years they
    # leave and enter (`VerdictInputChanged`; the verdict announces a change if there is one)
    touched = set()
    if school is not None and school.training_required_hours is not None:
        touched.add((school.county_code, school_year_of(school.as_of)))
    if data.training_requirement is not None:
        touched.add((data.county_code, school_year_of(data.as_of)))
    if school is None:
        school = SchoolTeacherStats(school_code=data.school_code, sections=[])
        repository.add(school)
    requirement = data.training_requirement
    school.training_required_hours = requirement.required_hours if requirement else None
    school.training_window_years = requirement.window_years if requirement else None
    school.training_window_from = requirement.window_from if requirement else None
    school.training_source = requirement.source if requirement else None
    school.county_code = data.county_code
    school.as_of = data.as_of
    school.version = data.version
    school.source_event_id = event.id
    school.event_time = event.time if event.time.tzinfo else event.time.replace(tzinfo=UTC)
    school.synced_at = utcnow()
    existing = {section.level: section for section in school.sections}
    kept: list[SectionTeacherStats] = []
    for incoming in data.sections:
        section = existing.get(incoming.level) or SectionTeacherStats(level=incoming.level)
        section.full_time_teachers = incoming.full_time_teachers
        section.teachers_above_required_degree = incoming.teachers_above_required_degree
        section.backbone_teachers = incoming.backbone_teachers
        section.pe_arts_teachers = incoming.pe_arts_teachers
        section.teachers_counted_for_training = incoming.teachers_counted_for_training
        section.teachers_meeting_training_hours = incoming.teachers_meeting_training_hours
        kept.append(section)
    school.sections = kept  # a level no longer listed is deleted (delete-orphan)
    await session.flush()
    for county_code, year in sorted(touched):
        reactions.record(session, VerdictInputChanged(county_code, year))
    return True
