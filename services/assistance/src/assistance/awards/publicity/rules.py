"""公示 rules: how long a list is shown.

Pure: no I/O. domain.md §4.3: 公示 of list and tiers for ≥ 5 working days (county/city rules;
the minimum is a setting); public notices show no sensitive personal data (§4.2 minimisation).
"""

from __future__ import annotations

from datetime import date, timedelta

from assistance.awards.calendar.rules import WorkCalendar, working_days_between
from junheng_kit.problems import FieldError, RuleViolated


def publicity_end(start: date, minimum: int, calendar: WorkCalendar) -> date:
    """The earliest end date giving `minimum` working days from `start` (both included).

    2025-09-30 (Tue) with 5: 09-30, then 国庆/中秋 10-01..10-08 off, 10-09, 10-10, 10-11 (Sat,
    调休 worked), 10-13 → ends 2025-10-13.
    """
    day, counted = start, 0
    while True:
        if calendar.is_working_day(day):
            counted += 1
            if counted >= minimum:
                return day
        day += timedelta(days=1)


def check_publicity_period(start: date, end: date, minimum: int, calendar: WorkCalendar) -> int:
    """The batch's working days; 422 `publicity_5_working_days` when fewer than `minimum`."""
    if end < start:
        raise RuleViolated(
            "公示结束日期早于开始日期",
            FieldError("ends_on", "ends_after_start", f"{end} is before {start}"),
        )
    days = working_days_between(start, end, calendar)
    if days < minimum:
        raise RuleViolated(
            f"公示期不少于 {minimum} 个工作日",
            FieldError(
                "ends_on",
                "publicity_5_working_days",
                f"{start}..{end} has {days} working days; needs {minimum}: "
                f"earliest end {publicity_end(start, minimum, calendar)}",
            ),
        )
    return days
