"""公示 rules: when a list may start and how long it is shown.

Pure: no I/O. domain.md §4.3: 公示 of list and tiers for ≥ 5 working days (county/city rules;
the minimum is a setting); public notices show no sensitive personal data (§4.2 minimisation).
A 公示 starts no earlier than the day it is recorded (issue 19): days already gone were not days
on which anyone could see the list or object to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from assistance.awards.awards.rules import AwardStatus, WorkflowConflict
from assistance.awards.calendar.rules import WorkCalendar, working_days_between
from junheng_kit.i18n import t
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


def check_not_backdated(starts_on: date, *, recorded_on: date) -> None:
    """A 公示 starts on the day it is recorded (China date) or later: 422
    `publicity_not_backdated` on `starts_on` when it starts before. The day itself is allowed —
    a list put up this morning is recorded the same day, and that day counts."""
    if starts_on < recorded_on:
        raise RuleViolated(
            t(
                f"公示开始日期不能早于登记当日 {recorded_on}",
                f"a 公示 (public notice) cannot start before the day it is recorded, {recorded_on}",
            ),
            FieldError(
                "starts_on",
                "publicity_not_backdated",
                t(
                    f"{starts_on} 早于今天 {recorded_on}（中国时间）；请从 {recorded_on} "
                    "或之后开始",
                    f"{starts_on} is before today {recorded_on} (China); start on {recorded_on} or "
                    "later",
                ),
            ),
        )


def check_publicity_period(start: date, end: date, minimum: int, calendar: WorkCalendar) -> int:
    """The batch's working days; 422 `publicity_5_working_days` when fewer than `minimum`."""
    if end < start:
        raise RuleViolated(
            t("the 公示 (public notice) ends before it starts", "公示结束日期早于开始日期"),
            FieldError(
                "ends_on", "ends_after_start", t(f"{end} 早于 {start}", f"{end} is before {start}")
            ),
        )
    days = working_days_between(start, end, calendar)
    if days < minimum:
        raise RuleViolated(
            t(
                f"a 公示 (public notice) lasts at least {minimum} working days",
                f"公示期不少于 {minimum} 个工作日",
            ),
            FieldError(
                "ends_on",
                "publicity_5_working_days",
                t(
                    f"{start}..{end} 有 {days} 个工作日；需要 {minimum} 个：最早结束于 "
                    f"{publicity_end(start, minimum, calendar)}",
                    f"{start}..{end} has {days} working days; needs {minimum}: earliest end "
                    f"{publicity_end(start, minimum, calendar)}",
                ),
            ),
        )
    return days


def require_calendar(missing_years: Sequence[int], *, starts_on: date) -> None:
    """A 公示 counts working days by the State Council's holiday arrangements: a period in a
    year with no calendar stored is 422 `calendar_known` (naming `starts_on` when its own year
    lacks one, else `ends_on`) — counting weekends alone would accept a Spring Festival week."""
    if not missing_years:
        return
    years = ", ".join(map(str, missing_years))
    raise RuleViolated(
        t(
            f"{years}年没有国务院节假日安排（工作日历），无法计算公示工作日",
            f"no official holiday calendar (State Council notice) for {years}: the 公示 (public "
            "notice) working days cannot be counted",
        ),
        FieldError(
            "starts_on" if starts_on.year in missing_years else "ends_on",
            "calendar_known",
            t(
                f"请先按国务院通知 PUT /v1/calendars/{missing_years[0]}",
                f"PUT /v1/calendars/{missing_years[0]} with the State Council's notice first",
            ),
        ),
    )


def check_scope(county_code: str, school_code: str | None) -> None:
    """A school's 公示 lies in the county's province (学校标识码 digits 3–4)."""
    if school_code is not None and not school_code[2:4] == county_code[:2]:
        raise RuleViolated(
            t("学校不在该县", "the school is not in this county"),
            FieldError(
                "school_code",
                "school_in_province",
                t(
                    "学校标识码的省份位不一致",
                    "the 学校标识码 (school identification code) province digits differ",
                ),
            ),
        )


@dataclass(frozen=True, slots=True)
class Candidate:
    """An award named for a 公示: where it was named (`award_ids[<position>]`) and its state."""

    position: int
    status: str  # AwardStatus
    listed: bool  # already on a 公示 list
    county_code: str
    school_code: str


def check_candidates(
    candidates: Sequence[Candidate], *, county_code: str, school_code: str | None
) -> None:
    """The awards named for a batch: reviewed and on no other list (409 `review_required`),
    then of the batch's county and school (422 `award_in_batch_scope`)."""
    errors = [
        FieldError(
            f"award_ids[{c.position}]",
            "review_required",
            t(
                f"资助状态为 {c.status}；公示名单只列入已评议且不在其他名单上的资助",
                f"award is {c.status}; 公示 (public notice) lists reviewed awards not on another "
                "list",
            ),
        )
        for c in candidates
        if c.status != AwardStatus.REVIEWED or c.listed
    ]
    if errors:
        raise WorkflowConflict(
            t("an award not reviewed cannot be publicised (公示)", "未经评议的资助不能公示"),
            *errors,
        )
    outside = [
        FieldError(f"award_ids[{c.position}]", "award_in_batch_scope")
        for c in candidates
        if c.county_code != county_code
        or (school_code is not None and c.school_code != school_code)
    ]
    if outside:
        raise RuleViolated(
            t("the award is not within this 公示 (public notice) scope", "资助不属于该公示范围"),
            *outside,
        )


def require_awards(count: int) -> None:
    """A 公示 lists at least one award (422 `awards_present`)."""
    if not count:
        raise RuleViolated(
            t("no award to publicise (公示)", "没有可公示的资助"),
            FieldError(
                "award_ids",
                "awards_present",
                t("没有等待公示的已评议资助", "no reviewed award waits for 公示 (public notice)"),
            ),
        )
