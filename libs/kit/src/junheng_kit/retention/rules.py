"""保存期限: how long a kind of personal record is kept, as effective-dated policy data a bureau
sets and cites — pure rules, no I/O.

No source the project holds gives a retention period (domain.md and the policy seeds are silent),
so nothing is built in: a kind with no rule in force for a county is never purged. The one floor
the law gives is for audit records: 《网络安全法》第二十一条 — network logs kept "不少于六个月";
a rule for an audit kind shorter than that is refused (`audit_retention_floor`).

A rule is kept `keep_months` or `keep_days` after its anchor (`counted_from`, the date the
record's kind declares: the school year's start, a decision date, a creation date). On `today`
its cutoff is `today − keep` (a month subtraction ends on the month's last day when the day does
not exist); records anchored on the cutoff or earlier have been kept their full period.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, RuleViolated

Action = Literal["delete", "pseudonymise"]
ACTIONS: tuple[Action, ...] = ("delete", "pseudonymise")
# 《网络安全法》第二十一条: 留存相关的网络日志不少于六个月 — six months, counted in days as the
# longest six calendar months can be short of (183 days), or as 6 months
AUDIT_FLOOR_DAYS = 183
AUDIT_FLOOR_MONTHS = 6
AUDIT_FLOOR_SOURCE = "《中华人民共和国网络安全法》第二十一条: 网络日志留存不少于六个月"


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """One kind's period in one GB/T 2260 scope ("15" the region … "150602" a county) from a date
    on; `version` names the stored row it came from."""

    kind: str
    scope_code: str
    effective_from: date
    keep_months: int | None
    keep_days: int | None
    counted_from: str
    action: Action
    source: str
    version: str = ""

    @property
    def ref(self) -> str:
        """How a purge record cites the rule: `<scope>/<kind>/<effective_from>#<version>`."""
        base = f"{self.scope_code}/{self.kind}/{self.effective_from.isoformat()}"
        return f"{base}#{self.version}" if self.version else base

    @property
    def keep_text(self) -> str:
        return f"{self.keep_months} months" if self.keep_months else f"{self.keep_days} days"


def in_force(
    rules: Iterable[RetentionRule], kind: str, county_code: str, on: date
) -> RetentionRule | None:
    """The rule of `kind` in force for the county on `on`: the most specific scope covering the
    county, then the latest start on or before `on`. None: no rule, nothing is purged."""
    candidates = [
        r
        for r in rules
        if r.kind == kind and county_code.startswith(r.scope_code) and r.effective_from <= on
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (len(r.scope_code), r.effective_from))


def minus_months(day: date, months: int) -> date:
    """`day` moved back `months` calendar months, clamped to the month's last day
    (2027-03-31 − 1 month = 2027-02-28)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def cutoff(rule: RetentionRule, today: date) -> date:
    """The last anchor date whose records have been kept their full period on `today`."""
    if rule.keep_months is not None:
        return minus_months(today, rule.keep_months)
    assert rule.keep_days is not None  # validate() requires exactly one
    return today - timedelta(days=rule.keep_days)


def is_audit_kind(kind: str) -> bool:
    """Audit records (审计日志) carry the statutory floor: kinds named `audit` or `audit.…`."""
    return kind == "audit" or kind.startswith("audit.")


def _refuse(detail: tuple[str, str], *errors: FieldError) -> RuleViolated:
    return RuleViolated(t(*detail), *errors)


def validate(
    rule: RetentionRule,
    *,
    kinds: Sequence[str],
    anchors: dict[str, str],
    actions: dict[str, Sequence[Action]],
    audit: bool = False,
) -> None:
    """A rule the service can apply: a kind it declares, that kind's anchor and actions, one
    positive period, and for audit kinds at least six months. 422 naming the rule otherwise."""
    if rule.kind not in kinds:
        raise _refuse(
            (f"此服务没有 {rule.kind} 类记录", f"this service keeps no {rule.kind} records"),
            FieldError(
                "path.kind",
                "retention_kind_known",
                t(f"可设定的类别: {', '.join(kinds)}", f"kinds with a target: {', '.join(kinds)}"),
            ),
        )
    if (rule.keep_months is None) == (rule.keep_days is None):
        raise _refuse(
            ("保存期限须且只须给出月数或天数", "give the period in months or in days, not both"),
            FieldError(
                "keep_months",
                "retention_period_one",
                t("keep_months 与 keep_days 二选一", "one of keep_months and keep_days"),
            ),
        )
    if rule.counted_from != anchors[rule.kind]:
        raise _refuse(
            (
                f"{rule.kind} 的保存期限自 {anchors[rule.kind]} 起算",
                f"{rule.kind} records are counted from {anchors[rule.kind]}",
            ),
            FieldError(
                "counted_from",
                "retention_anchor",
                t(f"应为 {anchors[rule.kind]}", f"must be {anchors[rule.kind]}"),
            ),
        )
    if rule.action not in actions[rule.kind]:
        allowed = ", ".join(actions[rule.kind])
        raise _refuse(
            (f"{rule.kind} 类记录只能 {allowed}", f"{rule.kind} records allow only {allowed}"),
            FieldError("action", "retention_action", t(f"可选: {allowed}", f"one of: {allowed}")),
        )
    if (audit or is_audit_kind(rule.kind)) and (
        (rule.keep_months is not None and rule.keep_months < AUDIT_FLOOR_MONTHS)
        or (rule.keep_days is not None and rule.keep_days < AUDIT_FLOOR_DAYS)
    ):
        raise _refuse(
            (
                f"审计记录至少保存六个月（{AUDIT_FLOOR_SOURCE}）",
                "audit records are kept at least six months (Cybersecurity Law Art. 21)",
            ),
            FieldError(
                "keep_months" if rule.keep_months is not None else "keep_days",
                "audit_retention_floor",
                t(
                    f"不少于 {AUDIT_FLOOR_MONTHS} 个月或 {AUDIT_FLOOR_DAYS} 天",
                    f"at least {AUDIT_FLOOR_MONTHS} months or {AUDIT_FLOOR_DAYS} days",
                ),
            ),
        )
