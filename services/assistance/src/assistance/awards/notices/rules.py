"""Status notice rules (资格变动): what an agency's change means for payments.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal
from uuid import UUID


@dataclass(frozen=True, slots=True)
class StatusChange:
    """An agency no longer confirms (`lost`) or newly confirms (`gained`) a student's category."""

    student_id: UUID
    award_id: UUID | None
    category: str
    change: Literal["lost", "gained"]
    agency: str
    detected_on: date


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
