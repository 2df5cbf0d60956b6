"""Pure rules of the enrollment facts: the conditions a tier needs asked, what an answer makes
of a fact, the documents it spares the family, and the review path it takes."""

from __future__ import annotations

from datetime import date

from enrollment.admission.rules import Condition, Tier
from enrollment.facts import rules
from junheng_kit.agency.facts import Question, holds, proved_text
from junheng_kit.timeutil import whole_months

MIGRANT_TIER = Tier(
    4,
    "随迁子女",
    (
        Condition("migrant", "is", True),
        Condition("home_in_zone", "is", True),
        Condition("rents_home", "is", True),
        Condition("residence_permit_months", "gte", 12),
        Condition("social_insurance_months", "gte", 12),
    ),
)
LOCAL_TIER = Tier(
    1, "房户一致", (Condition("hukou_in_zone", "is", True), Condition("owns_home", "is", True))
)


def test_a_held_tiers_agency_facts_are_asked_with_the_countys_values() -> None:
    """Seed 004: "建立以居住证为主要依据的随迁子女入学政策" — the 居住证 and 社保 durations asked
    are the county's (here 12 months each, the tier's own conditions); the zone fact is the
    bureau's map, never asked of an agency; a tier not held is not asked."""
    needed = rules.needed_conditions([LOCAL_TIER, MIGRANT_TIER], held=[4])
    assert [(n.condition.fact, n.condition.value, n.agency) for n in needed] == [
        ("migrant", True, "hukou"),
        ("rents_home", True, "estate"),
        ("residence_permit_months", 12, "permit"),
        ("social_insurance_months", 12, "social"),
    ]
    assert needed[2].rule == "第4档「随迁子女」: residence_permit_months ≥ 12"


def test_months_held_are_whole_calendar_months_to_the_reference_day() -> None:
    """居住证 issued 2024-09-01: 11 whole months on 2025-08-31, 12 on 2025-09-01 — a county
    asking ≥ 12 on 2025-08-31 is contradicted."""
    assert whole_months(date(2024, 9, 1), date(2025, 8, 31)) == 11
    assert whole_months(date(2024, 9, 1), date(2025, 9, 1)) == 12
    assert holds("gte", 11, 12) is False


def test_an_answer_verifies_contradicts_or_leaves_a_fact_unavailable() -> None:
    assert rules.fact_status(True, True) == "verified"
    assert rules.fact_status(True, False) == "contradicted"
    assert rules.fact_status(True, None) == "contradicted"  # no record held
    assert rules.fact_status(False, None) == "unavailable"
    assert rules.outcome_of(["verified", "unavailable"]) == "unavailable"
    assert rules.outcome_of(["unavailable", "contradicted"]) == "contradicted"
    assert rules.outcome_of([]) == "nothing_to_check"


def test_a_verified_fact_spares_its_document_only_when_every_fact_behind_it_verified() -> None:
    """材料非必要不提供: a document stands for facts; it is confirmed by data sharing only when
    all of them are verified."""
    assert sorted(
        rules.documents_proved(
            {
                "migrant": "verified",
                "residence_permit_months": "verified",
                "has_residence_permit": "unavailable",
                "social_insurance_months": "verified",
            }
        )
    ) == ["hukou_booklet", "social_insurance"]


def test_the_review_path_uses_admissions_transitions() -> None:
    assert rules.path_to("submitted", "verified", documents_missing=False) == [
        "verifying",
        "verified",
    ]
    assert rules.path_to("submitted", "verified", documents_missing=True) == ["verifying"]
    assert rules.path_to("verified", "contradicted", documents_missing=False) == [
        "verifying",
        "needs_documents",
    ]
    assert rules.path_to("needs_documents", "unavailable", documents_missing=True) == ["verifying"]
    assert rules.path_to("verified", "verified", documents_missing=False) == []
    assert rules.path_to("rejected", "verified", documents_missing=False) == []
    assert rules.path_to("submitted", "no_basis", documents_missing=True) == []


def test_a_fact_the_policy_does_not_test_is_named() -> None:
    errors = rules.undefined_facts(
        ["residence_permit_months", "has_residence_permit", "home_in_zone"], [MIGRANT_TIER]
    )
    assert [(e.field, e.rule) for e in errors] == [
        ("facts[1]", "fact_in_policy"),
        ("facts[2]", "fact_held_by_agency"),
    ]


def test_what_an_answer_proved_reads_in_chinese_and_english() -> None:
    question = Question(
        "residence_permit_months", "gte", 12, "150602", date(2025, 8, 31), "某路1号"
    )
    assert proved_text(question, True) == (
        "截至 2025-08-31 居住证持有满 12 个月，地址与申报住址一致 / "
        "居住证 held ≥ 12 months on 2025-08-31, at the declared home address"
    )
    assert proved_text(question, False).startswith("截至 2025-08-31 居住证持有不满 12 个月")
    assert proved_text(question, None).startswith("无相关登记记录 / no record held")
