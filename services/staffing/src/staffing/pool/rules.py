"""编制周转池 rules (domain.md §3.1, LOCAL seed 003: quota lent for urgent needs and returned).

Pure functions: the dates of a loan, what the pool still holds, the school year a date falls in,
and whether a loan is overdue.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from junheng_kit.i18n import t
from junheng_kit.problems import FieldError


def school_year_of(day: date) -> int:
    """The school year a date belongs to: it starts on 1 September (domain.md §1.5)."""
    return day.year if day.month >= 9 else day.year - 1


def loan_date_errors(lent_on: date, due_on: date) -> list[FieldError]:
    if due_on > lent_on:
        return []
    return [
        FieldError(
            "due_on",
            "loan_dates_order",
            t(
                "归还期限必须晚于借出日期",
                "the return deadline (归还期限) must be after the lending date",
            ),
        )
    ]


def available_posts(pool_posts: int, active_loans: Iterable[int]) -> int:
    """Posts the pool still holds: its size less every loan not yet returned."""
    return pool_posts - sum(active_loans)


def is_overdue(due_on: date, returned_on: date | None, on: date) -> bool:
    """Overdue: past its due date on `on` and not returned by then (returned late counts too
    until it is back)."""
    back_by = returned_on if returned_on is not None and returned_on <= on else None
    return back_by is None and on > due_on
