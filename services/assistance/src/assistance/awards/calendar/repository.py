"""Every query of the working calendar."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.calendar.models import WorkCalendar


async def calendars(session: AsyncSession, years: Sequence[int]) -> Sequence[WorkCalendar]:
    query = select(WorkCalendar).where(WorkCalendar.year.in_(sorted(set(years))))
    return (await session.scalars(query)).all()


async def calendar(session: AsyncSession, year: int) -> WorkCalendar | None:
    return await session.get(WorkCalendar, year)
