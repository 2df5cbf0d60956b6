"""Planned classes per school, level and year, from enrollment's seat plans (read model)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from junheng_contracts.enrollment import SchoolSeatsData
from junheng_kit.timeutil import utcnow
from staffing.classes.models import SchoolClassPlan


async def apply_seat_plan(session: AsyncSession, data: SchoolSeatsData, event_id: str) -> bool:
    """Upsert the plan if the event is newer than the copy; a stale event changes nothing
    (the row read FOR UPDATE, as `junheng_kit.school_directory.apply_school_state` explains)."""
    entry = await session.get(
        SchoolClassPlan, (data.school_code, data.level, data.year), with_for_update=True
    )
    if entry is not None and entry.version >= data.version:
        return False
    if entry is None:
        entry = SchoolClassPlan(school_code=data.school_code, level=data.level, year=data.year)
        session.add(entry)
    entry.county_code = data.county_code
    entry.grade = data.grade
    entry.planned_classes = data.planned_classes
    entry.class_cap = data.class_cap
    entry.seats = data.seats
    entry.version = data.version
    entry.source_event_id = event_id
    entry.synced_at = utcnow()
    await session.flush()
    return True
