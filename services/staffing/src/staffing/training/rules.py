"""教师培训学时 (pure): the window a teacher's training hours count in, the hours in it, whether
they meet the requirement, and the checks a training record passes.

Source: 教督〔2017〕6号 政府保障程度第9项 "教师5年360学时培训完成率达到100%" (domain.md §3.4 and
§5.4, NAT, SEC). The item counts the hours of the five years up to the day it is judged — a
rolling window: it names no cycle, and no source in reach gives a cycle's start (neither a
national 五年一周期 start date nor a teacher's 定期注册 date). So on a date D the window runs from
the day after D minus five years to D, both included, and a record's hours count on the day the
training was completed (`completed_on`): the hours are credited when the training is finished.
The 360 and the 5 are policy rows (`training_required_hours`, `training_window_years`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from junheng_kit.i18n import t
from junheng_kit.problems import FieldError

# A sanity bound, not policy: one record above it is a typing slip (3600 for 360). A year of
# full-time study (脱产研修) is below it; nothing official bounds one record.
MAX_RECORD_HOURS = Decimal(1000)
HOURS_PER_DAY = 24  # a period of d days (both ends included) cannot hold more than 24·d hours


@dataclass(frozen=True, slots=True)
class TrainingRequirement:
    """The requirement in force for a county on a date, with its policy rows' citation."""

    required_hours: int
    window_years: int
    source: str


@dataclass(frozen=True, slots=True)
class Credit:
    """One record's hours and the day they are credited."""

    completed_on: date
    hours: Decimal


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` years earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def window_from(on: date, years: int) -> date:
    """First day of the `years`-year window ending on `on`: 2025-08-31, 5 → 2020-09-01."""
    return years_before(on, years) + timedelta(days=1)


def hours_in_window(credits: Iterable[Credit], *, on: date, years: int) -> Decimal:
    """Hours completed from `window_from(on, years)` to `on`, both included."""
    start = window_from(on, years)
    return sum((c.hours for c in credits if start <= c.completed_on <= on), Decimal(0))


def meets(hours: Decimal, requirement: TrainingRequirement) -> bool:
    """达到 N 学时: at least N (domain.md, top: 达到 N 以上 is ≥ N)."""
    return hours >= requirement.required_hours


def record_errors(
    *,
    hours: Decimal,
    started_on: date | None,
    completed_on: date,
    hire_date: date,
    today: date,
) -> list[FieldError]:
    """What is wrong with a training record of a teacher hired on `hire_date` (every problem at
    once). The schema has already refused hours ≤ 0, above MAX_RECORD_HOURS or finer than 0.1."""
    errors: list[FieldError] = []
    if completed_on > today:
        errors.append(
            FieldError(
                "completed_on",
                "training_completed_not_in_future",
                t(
                    f"完成日期晚于今天 {today.isoformat()}：培训完成后才登记",
                    f"the completion date is after today {today.isoformat()}: a record is "
                    "entered once the training is completed",
                ),
            )
        )
    if completed_on < hire_date:
        errors.append(
            FieldError(
                "completed_on",
                "training_after_hire",
                t(
                    f"完成日期早于参加工作日期 {hire_date.isoformat()}：在职培训在入职后完成",
                    f"the completion date is before the hire date {hire_date.isoformat()}: "
                    "in-service training is completed after the teacher was hired",
                ),
            )
        )
    if started_on is not None:
        if started_on > completed_on:
            errors.append(
                FieldError(
                    "started_on",
                    "training_period_order",
                    t("开始日期晚于完成日期", "the training starts on or before it is completed"),
                )
            )
        else:
            days = (completed_on - started_on).days + 1
            if hours > HOURS_PER_DAY * days:
                errors.append(
                    FieldError(
                        "hours",
                        "training_hours_within_period",
                        t(
                            f"{hours} 学时超过培训期 {days} 天所能容纳的 {HOURS_PER_DAY * days} "
                            "小时",
                            f"{hours} hours (学时) are more than the {days}-day period holds "
                            f"({HOURS_PER_DAY * days} hours)",
                        ),
                    )
                )
    return errors
