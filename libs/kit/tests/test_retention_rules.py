"""保存期限 rules: the cutoff of a period, the rule in force, and what a rule may be.

No seed file gives a retention period (domain.md and policy-sources 000–004 are silent): every
period below is an example a bureau might set. The one floor is statutory —
《网络安全法》第二十一条: "按照规定留存相关的网络日志不少于六个月"
(issue 20 item 4: audit ≥ 6 months).
"""

from datetime import date

import pytest

from junheng_kit.problems import RuleViolated
from junheng_kit.retention import rules
from junheng_kit.retention.rules import RetentionRule


def rule(
    scope: str = "150602",
    *,
    kind: str = "application.not_admitted",
    start: date = date(2026, 1, 1),
    months: int | None = 12,
    days: int | None = None,
    counted_from: str = "school_year_start",
    action: rules.Action = "pseudonymise",
) -> RetentionRule:
    return RetentionRule(
        kind=kind,
        scope_code=scope,
        effective_from=start,
        keep_months=months,
        keep_days=days,
        counted_from=counted_from,
        action=action,
        source="示例 / example",
    )


KINDS = ["application.not_admitted", "audit.event"]
ANCHORS = {"application.not_admitted": "school_year_start", "audit.event": "created_at"}
ACTIONS: dict[str, tuple[rules.Action, ...]] = {
    "application.not_admitted": ("pseudonymise",),
    "audit.event": ("delete",),
}


def validate(candidate: RetentionRule) -> None:
    rules.validate(candidate, kinds=KINDS, anchors=ANCHORS, actions=ACTIONS)


def test_a_period_in_months_ends_on_the_same_day_or_the_months_last_day() -> None:
    """Hand-computed: 2026-12-06 − 12 months = 2025-12-06; 2027-03-31 − 1 month = 2027-02-28
    (February has no 31st); 2028-03-31 − 1 month = 2028-02-29 (a leap year); 2027-01-15 − 14
    months = 2025-11-15 (across the year)."""
    assert rules.cutoff(rule(months=12), date(2026, 12, 6)) == date(2025, 12, 6)
    assert rules.cutoff(rule(months=1), date(2027, 3, 31)) == date(2027, 2, 28)
    assert rules.cutoff(rule(months=1), date(2028, 3, 31)) == date(2028, 2, 29)
    assert rules.cutoff(rule(months=14), date(2027, 1, 15)) == date(2025, 11, 15)


def test_a_period_in_days_counts_calendar_days() -> None:
    """Hand-computed: 2027-03-01 − 183 days = 2026-08-30 (March 1 → Feb 1 is 28 days, … )."""
    assert rules.cutoff(rule(months=None, days=183), date(2027, 3, 1)) == date(2026, 8, 30)
    assert rules.cutoff(rule(months=None, days=1), date(2027, 1, 1)) == date(2026, 12, 31)


def test_the_most_specific_scope_in_force_wins() -> None:
    """A county's own rule over its prefecture's over the region's, whatever their start."""
    region = rule("15", months=36, start=date(2026, 6, 1))
    prefecture = rule("1506", months=24, start=date(2025, 1, 1))
    county = rule("150602", months=12, start=date(2026, 1, 1))
    found = rules.in_force(
        [region, prefecture, county], "application.not_admitted", "150602", date(2026, 12, 6)
    )
    assert found == county
    # another county of the prefecture has only the prefecture's and the region's
    other = rules.in_force(
        [region, prefecture, county], "application.not_admitted", "150603", date(2026, 12, 6)
    )
    assert other == prefecture
    # another prefecture: the region's
    assert (
        rules.in_force(
            [region, prefecture, county], "application.not_admitted", "150102", date(2026, 12, 6)
        )
        == region
    )


def test_a_rule_applies_from_its_start_and_the_latest_start_replaces_the_earlier() -> None:
    first = rule(months=12, start=date(2026, 1, 1))
    later = rule(months=24, start=date(2027, 1, 1))
    assert (
        rules.in_force([first, later], "application.not_admitted", "150602", date(2025, 12, 31))
        is None
    )
    assert (
        rules.in_force([first, later], "application.not_admitted", "150602", date(2026, 12, 31))
        == first
    )
    assert (
        rules.in_force([first, later], "application.not_admitted", "150602", date(2027, 1, 1))
        == later
    )


def test_a_kind_without_a_rule_has_none_in_force() -> None:
    """No rule, no purge: nothing is built in."""
    assert rules.in_force([rule()], "aid.award_file", "150602", date(2030, 1, 1)) is None


def test_audit_records_keep_at_least_six_months() -> None:
    """《网络安全法》第二十一条: 网络日志留存"不少于六个月" — 5 months or 182 days is refused
    (422 `audit_retention_floor`); 6 months or 183 days is accepted."""
    for short in (
        rule(kind="audit.event", months=5, counted_from="created_at", action="delete"),
        rule(kind="audit.event", months=None, days=182, counted_from="created_at", action="delete"),
    ):
        with pytest.raises(RuleViolated) as refused:
            validate(short)
        assert [e.rule for e in refused.value.errors] == ["audit_retention_floor"]
    validate(rule(kind="audit.event", months=6, counted_from="created_at", action="delete"))
    validate(
        rule(kind="audit.event", months=None, days=183, counted_from="created_at", action="delete")
    )


@pytest.mark.parametrize(
    ("candidate", "field", "rule_id"),
    [
        (rule(kind="aid.award_file"), "path.kind", "retention_kind_known"),
        (rule(months=12, days=30), "keep_months", "retention_period_one"),
        (rule(months=None, days=None), "keep_months", "retention_period_one"),
        (rule(counted_from="created_at"), "counted_from", "retention_anchor"),
        (rule(action="delete"), "action", "retention_action"),
    ],
)
def test_a_rule_the_service_cannot_apply_is_refused_naming_the_rule(
    candidate: RetentionRule, field: str, rule_id: str
) -> None:
    with pytest.raises(RuleViolated) as refused:
        validate(candidate)
    assert [(e.field, e.rule) for e in refused.value.errors] == [(field, rule_id)]


def test_a_rule_is_cited_by_scope_kind_start_and_version() -> None:
    stored = RetentionRule(
        kind="application.not_admitted",
        scope_code="15",
        effective_from=date(2026, 1, 1),
        keep_months=12,
        keep_days=None,
        counted_from="school_year_start",
        action="pseudonymise",
        source="x",
        version="2",
    )
    assert stored.ref == "15/application.not_admitted/2026-01-01#2"
