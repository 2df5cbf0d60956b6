"""Working calendar use-cases (工作日历): the calendar 公示 counts on, and its yearly PUT.
Services never commit."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.calendar import repository, rules
from assistance.awards.calendar.models import WorkCalendar
from assistance.awards.calendar.schemas import CalendarPut, CalendarRead
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, NotFound


async def load_calendar(session: AsyncSession, years: range) -> rules.WorkCalendar:
    rows = await repository.calendars(session, list(years))
    return rules.WorkCalendar(
        holidays=frozenset(date.fromisoformat(d) for r in rows for d in r.holidays),
        working_weekends=frozenset(date.fromisoformat(d) for r in rows for d in r.working_days),
        years=frozenset(r.year for r in rows),
    )


async def put_calendar(
    session: AsyncSession, principal: Principal, *, year: int, request: CalendarPut
) -> WorkCalendar:
    """工作日历: a year's holidays and 调休 working weekends, replaced as a whole."""
    rules.check_calendar(year, request.holidays, request.working_days)
    row = await repository.calendar(session, year)
    values = {
        "holidays": sorted({d.isoformat() for d in request.holidays}),
        "working_days": sorted({d.isoformat() for d in request.working_days}),
        "source": request.source,
        "changed_by": principal.client_id,
    }
    if row is None:
        row = WorkCalendar(year=year, version=1, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.version += 1
    await session.flush()
    return row


async def get_calendar(session: AsyncSession, *, year: int) -> CalendarRead:
    row = await repository.calendar(session, year)
    if row is None:
        raise NotFound(
            t(f"没有 {year} 年的工作日历", f"no working calendar for {year}"),
            FieldError(
                "year",
                "calendar_known",
                t(
                    "本年度公示只能按周末计算",
                    "公示 (public notice) counts weekends only for this year",
                ),
            ),
        )
    return CalendarRead(
        year=row.year,
        holidays=[date.fromisoformat(d) for d in row.holidays],
        working_days=[date.fromisoformat(d) for d in row.working_days],
        source=row.source,
        version=row.version,
        changed_by=row.changed_by,
        updated_at=row.updated_at,
    )
