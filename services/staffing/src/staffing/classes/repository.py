"""Queries of the seat-plan read model for the quota domain (班师比)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from staffing.classes.models import SchoolClassPlan

# grades of each level: a school's classes in a year are the entry classes of that many cohorts
COHORTS = {"primary": 6, "junior": 3}


async def classes_by_school(
    session: AsyncSession, school_codes: Sequence[str], *, year: int
) -> dict[tuple[str, str], int]:
    """Planned classes per (school, level) in `year`: the entry classes planned for the
    cohorts still in school (primary: years year-5…year, junior: year-2…year). Cohorts with no
    seat plan count zero."""
    out: dict[tuple[str, str], int] = {}
    for level, cohorts in COHORTS.items():
        rows = await session.execute(
            select(SchoolClassPlan.school_code, func.sum(SchoolClassPlan.planned_classes))
            .where(
                SchoolClassPlan.school_code.in_(list(school_codes)),
                SchoolClassPlan.level == level,
                SchoolClassPlan.year.between(year - cohorts + 1, year),
            )
            .group_by(SchoolClassPlan.school_code)
        )
        out.update({(code, level): int(total) for code, total in rows})
    return out
