"""工作日历 rules: which days are working days.

Pure: no I/O. Weekends are off, official holidays are off, 调休 make-up weekends are worked; a
year without a calendar counts weekends only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Official holidays and 调休 make-up working days (weekends worked) of the years it knows."""

    holidays: frozenset[date] = frozenset()
    working_weekends: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekends:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def missing_years(self, start: date, end: date) -> list[int]:
        return [y for y in range(start.year, end.year + 1) if y not in self.years]


def working_days_between(start: date, end: date, calendar: WorkCalendar) -> int:
    """Working days from `start` to `end`, both included."""
    days = (end - start).days + 1
    return sum(calendar.is_working_day(start + timedelta(d)) for d in range(max(days, 0)))
