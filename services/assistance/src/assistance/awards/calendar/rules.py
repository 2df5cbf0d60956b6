"""工作日历 rules: which days are working days.

Pure: no I/O. Weekends are off, official holidays are off, 调休 make-up weekends are worked; a
公示 in a year without a calendar is refused (publicity rules), since weekends alone miscount.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, RuleViolated


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


def check_calendar(year: int, holidays: Sequence[date], working_days: Sequence[date]) -> None:
    """A year's calendar as published: every date in `year` (`date_in_year`), make-up working
    days on weekends (`make_up_day_is_weekend`) and never also a holiday (`holiday_or_working`);
    422 naming every bad date."""
    errors = [
        FieldError(
            f"{name}[{i}]", "date_in_year", t(f"{day} 不在 {year} 年内", f"{day} is not in {year}")
        )
        for name, days in (("holidays", holidays), ("working_days", working_days))
        for i, day in enumerate(days)
        if day.year != year
    ]
    errors += [
        FieldError(
            f"working_days[{i}]",
            "make_up_day_is_weekend",
            t(f"{day} 是工作日", f"{day} is a weekday"),
        )
        for i, day in enumerate(working_days)
        if day.weekday() < 5
    ]
    errors += [
        FieldError(
            f"working_days[{i}]",
            "holiday_or_working",
            t(f"{day} 也是节假日", f"{day} is also a holiday"),
        )
        for i, day in enumerate(working_days)
        if day in set(holidays)
    ]
    if errors:
        raise RuleViolated(t("工作日历有误", "the working calendar is wrong"), *errors)
