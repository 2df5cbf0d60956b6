"""Award workflow rules: statuses and transitions, 公示 working days, masking, payability.

Pure: no I/O. domain.md §4.3: school panel review → 公示 of list and tiers for ≥ 5 working days
(county/city rules; the minimum is a setting) → approval; public notices show no sensitive
personal data (§4.2 minimisation).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal
from uuid import UUID

from assistance.students.rules import LEVELS_TEACHING, SchoolFacts
from assistance.students.schemas import Level
from junheng_kit.problems import Conflict, FieldError, RuleViolated


@dataclass(frozen=True, slots=True)
class AwardProposal:
    """One award the 应助尽助 scan proposes (免申即享): who, which programme and year, why."""

    student_id: UUID
    programme_code: str
    school_year: int
    category: str
    evidence: tuple[str, ...]  # agency assertion ids / category list refs


@dataclass(frozen=True, slots=True)
class StatusChange:
    """An agency no longer confirms (`lost`) or newly confirms (`gained`) a student's category."""

    student_id: UUID
    award_id: UUID | None
    category: str
    change: Literal["lost", "gained"]
    agency: str
    detected_on: date


class AwardStatus(StrEnum):
    PROPOSED = "proposed"  # auto: from agency data, awaiting school review
    APPLIED = "applied"  # the school applied on the family's behalf
    REVIEWED = "reviewed"  # the school panel approved; ready for 公示
    REJECTED = "rejected"  # the panel refused, or an objection was upheld
    IN_PUBLICITY = "in_publicity"  # on a 公示 list
    APPROVED = "approved"  # the county approved: payable
    PAID = "paid"  # fully disbursed


REVIEWABLE = frozenset({AwardStatus.PROPOSED, AwardStatus.APPLIED})
PAYABLE = frozenset({AwardStatus.APPROVED})


class WorkflowConflict(Conflict):
    """The award is not in a state that allows this step."""


def require_status(current: str, allowed: Iterable[AwardStatus], *, rule: str, action: str) -> None:
    if current not in {s.value for s in allowed}:
        raise WorkflowConflict(
            f"award is {current}: cannot {action}",
            FieldError("status", rule, f"{action} needs status {', '.join(sorted(allowed))}"),
        )


# --- 公示 calendar ---------------------------------------------------------------------------


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


# --- minimisation ------------------------------------------------------------------------------


# --- status notices ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoticeState:
    change: str  # lost | gained
    status: str  # open | appealed | resolved
    outcome: str | None  # appeal_upheld | appeal_rejected
    grace_until: date


def payment_blocker(notices: Iterable[NoticeState], paid_on: date) -> NoticeState | None:
    """A `lost` notice stops payments dated after its grace period, unless an appeal is pending
    or was upheld. Awards stay payable until the grace period ends."""
    for notice in notices:
        if notice.change != "lost" or notice.outcome == "appeal_upheld":
            continue
        if notice.status == "appealed":
            continue
        if paid_on > notice.grace_until:
            return notice
    return None


def transfer_target_error(
    target: SchoolFacts | None, *, to_county_code: str, level: Level
) -> FieldError | None:
    """异地转学: the receiving school must be in the school copy, lie in `to_county_code` and
    teach the student's 学段."""
    if target is None:
        return FieldError("to_school_code", "school_registered", "not in the school registry copy")
    if target.county_code != to_county_code:
        return FieldError(
            "to_school_code",
            "school_in_county",
            f"the school belongs to county {target.county_code}, not {to_county_code}",
        )
    if not target.levels & LEVELS_TEACHING[level]:
        return FieldError(
            "to_school_code",
            "school_teaches_level",
            f"the school teaches {', '.join(sorted(target.levels))}, the student is {level.value}",
        )
    return None
