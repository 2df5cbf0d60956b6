"""Status notice rules (资格变动): what an agency's change means for payments.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

from junheng_kit.i18n import t
from junheng_kit.problems import Conflict, FieldError


class NoticeChange(StrEnum):
    LOST = "lost"  # the agency no longer confirms the category
    GAINED = "gained"  # the agency newly confirms it (the school may apply)


class NoticeStatus(StrEnum):
    OPEN = "open"
    APPEALED = "appealed"  # 申诉 pending: payments go on
    RESOLVED = "resolved"  # the appeal was decided (`NoticeOutcome`)


class NoticeOutcome(StrEnum):
    APPEAL_UPHELD = "appeal_upheld"  # the award stays payable
    APPEAL_REJECTED = "appeal_rejected"


PENDING = (NoticeStatus.OPEN, NoticeStatus.APPEALED)  # a change with one is not raised again


@dataclass(frozen=True, slots=True)
class StatusChange:
    """An agency no longer confirms (`lost`) or newly confirms (`gained`) a student's category."""

    student_id: UUID
    award_id: UUID | None
    category: str
    change: NoticeChange
    agency: str
    detected_on: date


@dataclass(frozen=True, slots=True)
class NoticeState:
    change: str  # NoticeChange
    status: str  # NoticeStatus
    outcome: str | None  # NoticeOutcome
    grace_until: date


def payment_blocker(notices: Iterable[NoticeState], paid_on: date) -> NoticeState | None:
    """A `lost` notice stops payments dated after its grace period, unless an appeal is pending
    or was upheld. Awards stay payable until the grace period ends."""
    for notice in notices:
        if notice.change != NoticeChange.LOST or notice.outcome == NoticeOutcome.APPEAL_UPHELD:
            continue
        if notice.status == NoticeStatus.APPEALED:
            continue
        if paid_on > notice.grace_until:
            return notice
    return None


def require_appealable(status: str) -> None:
    """申诉 is open to an open notice only (409 `notice_open`)."""
    if status != NoticeStatus.OPEN:
        raise Conflict(
            t("通知不可申诉", "the notice cannot be appealed"),
            FieldError("notice_id", "notice_open", t(f"其状态为 {status}", f"it is {status}")),
        )


def require_resolvable(status: str) -> None:
    """Only an appealed notice is decided (409 `notice_appealed`)."""
    if status != NoticeStatus.APPEALED:
        raise Conflict(
            t("只有申诉中的通知可以裁决", "only an appealed notice is decided"),
            FieldError("notice_id", "notice_appealed", t(f"其状态为 {status}", f"it is {status}")),
        )
