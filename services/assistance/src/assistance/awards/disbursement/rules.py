"""Disbursement rules (资金发放): which payment lines may be paid.

Pure: no I/O. A line pays an approved award of the batch's county at most what it has left, and
not after the grace period of a `lost` status notice (notices.rules.payment_blocker).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from assistance.awards.awards.rules import AwardStatus
from assistance.awards.notices.rules import NoticeState, payment_blocker
from junheng_kit.i18n import t
from junheng_kit.problems import Conflict, FieldError, RuleViolated


@dataclass(frozen=True, slots=True)
class Payable:
    """What a payment line needs of its award."""

    county_code: str
    status: str  # AwardStatus
    amount_yuan: Decimal
    paid_yuan: Decimal
    notices: tuple[NoticeState, ...]  # the award's status notices


def check_lines(
    lines: Sequence[tuple[Payable | None, Decimal]], *, county_code: str, paid_on: date
) -> None:
    """Every line or none: (award or None when it is not found, amount) in the batch's order.
    422 `award_in_county`, `amount_within_remaining`; else 409 `award_approved`,
    `grace_period_ended` — every line's errors named `items[<i>]`."""
    rule_errors: list[FieldError] = []
    conflicts: list[FieldError] = []
    for i, (award, amount_yuan) in enumerate(lines):
        field = f"items[{i}]"
        if award is None or award.county_code != county_code:
            rule_errors.append(
                FieldError(
                    f"{field}.award_id",
                    "award_in_county",
                    t(f"{county_code} 没有此资助", f"no award of {county_code}"),
                )
            )
            continue
        if award.status not in (AwardStatus.APPROVED, AwardStatus.PAID):
            conflicts.append(
                FieldError(
                    f"{field}.award_id",
                    "award_approved",
                    t(f"资助状态为 {award.status}", f"award is {award.status}"),
                )
            )
            continue
        remaining = award.amount_yuan - award.paid_yuan
        if amount_yuan > remaining:
            rule_errors.append(
                FieldError(
                    f"{field}.amount_yuan",
                    "amount_within_remaining",
                    t(
                        f"{award.amount_yuan} 中还剩 {remaining} 待发放",
                        f"{remaining} of {award.amount_yuan} is left to pay",
                    ),
                )
            )
        blocker = payment_blocker(award.notices, paid_on)
        if blocker is not None:
            conflicts.append(
                FieldError(
                    f"{field}.award_id",
                    "grace_period_ended",
                    t(
                        f"类别不再被确认；宽限期已于 {blocker.grace_until} 结束",
                        f"category no longer confirmed; grace period ended {blocker.grace_until}",
                    ),
                )
            )
    if rule_errors:
        raise RuleViolated(t("发放明细不符合规则", "the disbursement breaks a rule"), *rule_errors)
    if conflicts:
        raise Conflict(t("资助当前不可发放", "the award cannot be paid now"), *conflicts)


def status_after_payment(paid_yuan: Decimal, amount_yuan: Decimal) -> AwardStatus:
    """Paid in full: `paid`; else it stays `approved`."""
    return AwardStatus.PAID if paid_yuan == amount_yuan else AwardStatus.APPROVED
