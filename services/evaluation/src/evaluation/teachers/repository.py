from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from evaluation.teachers.models import SchoolTeacherStats, SectionTeacherStats
from evaluation.teachers.rules import StaffingCounts, TrainingCounts
from junheng_kit.auth import Jurisdiction
from junheng_kit.i18n import t
from junheng_kit.problems import NotFound


@dataclass
class TeacherStatsRepository:
    """Every query of the teacher-statistics read model."""

    session: AsyncSession

    def add(self, school: SchoolTeacherStats) -> None:
        self.session.add(school)

    async def school(self, school_code: str) -> SchoolTeacherStats | None:
        """The school's entry with its sections loaded (for the consumer)."""
        return await self.session.scalar(
            select(SchoolTeacherStats)
            .where(SchoolTeacherStats.school_code == school_code)
            .options(selectinload(SchoolTeacherStats.sections))
            .with_for_update(of=SchoolTeacherStats)
            .execution_options(populate_existing=True)
        )

    async def get(self, school_code: str, *, within: Jurisdiction) -> SchoolTeacherStats:
        school = await self.session.scalar(
            select(SchoolTeacherStats)
            .where(
                SchoolTeacherStats.school_code == school_code,
                within.covers(SchoolTeacherStats.county_code),
            )
            .options(selectinload(SchoolTeacherStats.sections))
        )
        if school is None:  # another county's school is "not found" too
            raise NotFound(
                t(
                    f"学校 {school_code} 没有教师统计数据",
                    f"no teacher statistics for school {school_code}",
                )
            )
        return school

    async def counts_for(self, school_codes: Select[Any]) -> dict[tuple[str, str], StaffingCounts]:
        """The counts of every section of the schools `school_codes` selects, in one query."""
        rows = await self.session.execute(
            select(
                SectionTeacherStats.school_code,
                SectionTeacherStats.level,
                SectionTeacherStats.teachers_above_required_degree,
                SectionTeacherStats.backbone_teachers,
                SectionTeacherStats.pe_arts_teachers,
                SchoolTeacherStats.as_of,
                SchoolTeacherStats.source_event_id,
                SchoolTeacherStats.version,
                SchoolTeacherStats.event_time,
            )
            .join(SchoolTeacherStats)
            .where(SectionTeacherStats.school_code.in_(school_codes.scalar_subquery()))
        )
        return {(row[0], row[1]): StaffingCounts(*row) for row in rows}

    async def training_counts_for(
        self, school_codes: Select[Any]
    ) -> dict[tuple[str, str], TrainingCounts]:
        """The 教师5年360学时 counts of every section of the schools `school_codes` selects that
        staffing counted (with the requirement it used), in one query."""
        rows = await self.session.execute(
            select(
                SectionTeacherStats.school_code,
                SectionTeacherStats.level,
                SectionTeacherStats.teachers_counted_for_training,
                SectionTeacherStats.teachers_meeting_training_hours,
                SchoolTeacherStats.training_required_hours,
                SchoolTeacherStats.training_window_years,
                SchoolTeacherStats.training_window_from,
                SchoolTeacherStats.as_of,
                SchoolTeacherStats.training_source,
                SchoolTeacherStats.source_event_id,
                SchoolTeacherStats.version,
                SchoolTeacherStats.event_time,
            )
            .join(SchoolTeacherStats)
            .where(
                SectionTeacherStats.school_code.in_(school_codes.scalar_subquery()),
                SectionTeacherStats.teachers_counted_for_training.is_not(None),
                SectionTeacherStats.teachers_meeting_training_hours.is_not(None),
                SchoolTeacherStats.training_required_hours.is_not(None),
            )
        )
        out: dict[tuple[str, str], TrainingCounts] = {}
        for code, level, counted, meeting, hours, years, start, *rest in rows:
            as_of, source, event_id, version, event_time = rest
            if (
                counted is None
                or meeting is None
                or hours is None
                or years is None
                or start is None
                or source is None
            ):
                continue  # the WHERE keeps these out; the columns still allow them
            out[(code, level)] = TrainingCounts(
                code, level, counted, meeting, hours, years, start, as_of, source, event_id,
                version, event_time,
            )  # fmt: skip
        return out
