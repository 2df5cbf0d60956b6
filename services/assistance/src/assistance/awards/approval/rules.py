"""County approval rules (县级审批): what stops an award from being approved.

Pure: no I/O. domain.md §4.3: approval follows the school review and a 公示 that has ended, with
no objection left open.
"""

from __future__ import annotations

from datetime import date, timedelta

from assistance.awards.awards.rules import AwardStatus
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError


def approval_blockers(
    status: str, publicity_ends_on: date | None, on: date, *, objection_open: bool, field: str
) -> list[FieldError]:
    """Why an award of `status` cannot be approved on `on` (409 rules), or []:
    `review_required` before the panel reviewed it, `publicity_required` before a 公示
    (`publicity_ends_on` None: on no list), `approvable` when it is past that, `publicity_not_ended`
    until the day after the 公示 ends, `objection_open` while an objection is open."""
    if status in (AwardStatus.PROPOSED, AwardStatus.APPLIED):
        return [
            FieldError(
                field,
                "review_required",
                t("学校评议小组尚未评议", "the school panel has not reviewed it"),
            )
        ]
    if status == AwardStatus.REVIEWED or publicity_ends_on is None:
        return [
            FieldError(
                field,
                "publicity_required",
                t(
                    "已评议但尚未列入公示名单",
                    "reviewed but not yet on a 公示 (public notice) list",
                ),
            )
        ]
    if status != AwardStatus.IN_PUBLICITY:
        return [FieldError(field, "approvable", t(f"资助状态为 {status}", f"award is {status}"))]
    if on <= publicity_ends_on:
        return [
            FieldError(
                field,
                "publicity_not_ended",
                t(
                    f"公示期至 {publicity_ends_on}；自 {publicity_ends_on + timedelta(1)} 起可审批",
                    f"公示 (public notice) runs until {publicity_ends_on}; approve from "
                    f"{publicity_ends_on + timedelta(1)}",
                ),
            )
        ]
    if objection_open:
        return [
            FieldError(
                field,
                "objection_open",
                t("对其提出的异议尚未处理", "an objection to it is still open"),
            )
        ]
    return []
