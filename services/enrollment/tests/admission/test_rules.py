"""Admission rules against hand-worked cases (domain.md §1.5, §2.2, §2.3)."""

from datetime import date

import pytest

from enrollment.admission import rules
from enrollment.admission.rules import Condition, Household, Tier

CUTOFF = (8, 31)

# domain.md §2.2's illustrative order, with the 随迁子女 thresholds N = M = 12 months
POLICY = (
    Tier(
        1,
        "户籍+房产 in zone",
        (
            Condition("hukou_in_zone", "is", True),
            Condition("home_in_zone", "is", True),
            Condition("owns_home", "is", True),
        ),
    ),
    Tier(2, "户籍 in zone", (Condition("hukou_in_zone", "is", True),)),
    Tier(
        3,
        "local, home in zone",
        (Condition("hukou_local", "is", True), Condition("home_in_zone", "is", True)),
    ),
    Tier(
        4,
        "随迁子女",
        (
            Condition("migrant", "is", True),
            Condition("home_in_zone", "is", True),
            Condition("residence_permit_months", "gte", 12),
            Condition("social_insurance_months", "gte", 12),
        ),
    ),
)


def test_entry_age_cutoff_is_inclusive_on_31_august() -> None:
    # domain.md §1.5: born 2013-08-31 → enters 2019; born 2013-09-01 → enters 2020
    assert rules.old_enough(date(2013, 8, 31), 2019, "primary", CUTOFF)
    assert not rules.old_enough(date(2013, 9, 1), 2019, "primary", CUTOFF)
    assert rules.old_enough(date(2013, 9, 1), 2020, "primary", CUTOFF)
    assert rules.entry_cutoff(2025, "primary", CUTOFF) == date(2019, 8, 31)


def test_a_county_cutoff_moves_the_boundary() -> None:
    assert rules.old_enough(date(2019, 9, 30), 2025, "primary", (9, 30))
    assert not rules.old_enough(date(2019, 10, 1), 2025, "primary", (9, 30))


def test_junior_entry_has_no_age_rule() -> None:
    assert rules.entry_cutoff(2025, "junior", CUTOFF) is None
    assert rules.old_enough(date(2016, 1, 1), 2025, "junior", CUTOFF)


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2024, 9, 1), date(2025, 8, 31), 11),
        (date(2024, 9, 1), date(2025, 9, 1), 12),
        (date(2024, 8, 31), date(2025, 8, 31), 12),
        (date(2024, 1, 31), date(2024, 2, 29), 0),
        (date(2024, 1, 31), date(2024, 3, 1), 1),
        (date(2025, 9, 1), date(2025, 8, 31), 0),
    ],
)
def test_whole_months(start: date, end: date, months: int) -> None:
    assert rules.whole_months(start, end) == months


def _facts(**household: object) -> dict[str, bool | int]:
    base: dict[str, object] = {
        "hukou_county_code": "150602",
        "housing": "owned",
        "residence_permit_issued_on": None,
        "social_insurance_months": 0,
    }
    base.update(household)
    return rules.applicant_facts(
        Household(**base),  # type: ignore[arg-type]
        county_code="150602",
        reference_date=date(2025, 8, 31),
    )


def test_tiers_follow_the_policy_order() -> None:
    owner = _facts()
    assert rules.tier_at(POLICY, owner, hukou_in_zone=True, home_in_zone=True) == 1
    # 户籍 in zone but the home elsewhere: tier 2
    assert rules.tier_at(POLICY, owner, hukou_in_zone=True, home_in_zone=False) == 2
    renter = _facts(housing="rented")
    assert rules.tier_at(POLICY, renter, hukou_in_zone=True, home_in_zone=True) == 2
    # local 户籍 from another zone, living here: tier 3
    assert rules.tier_at(POLICY, owner, hukou_in_zone=False, home_in_zone=True) == 3
    # local, neither 户籍 nor home in this school's zone: no tier → not admissible here
    assert rules.tier_at(POLICY, owner, hukou_in_zone=False, home_in_zone=False) is None


def test_migrant_tier_needs_both_month_thresholds() -> None:
    # 居住证 issued 2024-08-31: 12 whole months on 2025-08-31; 社保 12 months
    qualified = _facts(
        hukou_county_code="150203",
        housing="rented",
        residence_permit_issued_on=date(2024, 8, 31),
        social_insurance_months=12,
    )
    assert qualified["migrant"] is True
    assert qualified["residence_permit_months"] == 12
    assert rules.tier_at(POLICY, qualified, hukou_in_zone=False, home_in_zone=True) == 4
    # one day short of 12 months of 居住证
    short_permit = _facts(
        hukou_county_code="150203",
        housing="rented",
        residence_permit_issued_on=date(2024, 9, 1),
        social_insurance_months=40,
    )
    assert short_permit["residence_permit_months"] == 11
    assert rules.tier_at(POLICY, short_permit, hukou_in_zone=False, home_in_zone=True) is None
    short_insurance = _facts(
        hukou_county_code="150203",
        housing="rented",
        residence_permit_issued_on=date(2020, 1, 1),
        social_insurance_months=11,
    )
    assert rules.tier_at(POLICY, short_insurance, hukou_in_zone=False, home_in_zone=True) is None


def test_priorities_per_choice_leave_out_schools_without_a_tier() -> None:
    owner = _facts()
    assert rules.priorities(
        POLICY,
        owner,
        ["A", "B", "C"],
        home_schools=frozenset({"A", "B"}),
        hukou_schools=frozenset({"A"}),
    ) == {"A": 1, "B": 3}


def test_a_permit_issued_after_the_reference_date_counts_for_nothing() -> None:
    late = _facts(hukou_county_code="150203", residence_permit_issued_on=date(2025, 9, 1))
    assert late["has_residence_permit"] is False
    assert late["residence_permit_months"] == 0


def test_checklist_and_missing_verifications() -> None:
    required = rules.required_documents(
        True, local=["hukou_booklet"], migrant_documents=["residence_permit", "social_insurance"]
    )
    assert required == ("residence_permit", "social_insurance")
    assert rules.missing_verifications(
        required, {"residence_permit": "confirmed", "social_insurance": "refuted"}
    ) == ["social_insurance"]
    assert rules.missing_verifications(required, {}) == list(required)


def test_review_state_machine() -> None:
    assert rules.can_move("submitted", "verifying")
    assert rules.can_move("verifying", "needs_documents")
    assert rules.can_move("needs_documents", "verifying")
    assert not rules.can_move("submitted", "verified")
    assert not rules.can_move("rejected", "verifying")


def test_household_facts_read_from_the_stored_application_document() -> None:
    migrant = Household.from_document(
        {
            "hukou": {"county_code": "152701", "type": "agricultural"},
            "housing": "rented",
            "residence_permit": {"issued_on": "2024-03-15", "number": "X1"},
            "social_insurance_months": 14,
        }
    )
    assert migrant == Household("152701", "rented", date(2024, 3, 15), 14)
    local = Household.from_document({"hukou": {"county_code": "150602"}, "housing": "owned"})
    assert (local.residence_permit_issued_on, local.social_insurance_months) == (None, 0)


class TestChildProblems:
    CUTOFF = (8, 31)

    def test_a_well_formed_child_old_enough_has_no_problem(self) -> None:
        assert rules.child_problems(
            "220822201308310034", date(2013, 8, 31), year=2019, level="primary",
            cutoff_month_day=self.CUTOFF, today=date(2019, 5, 1),
        ) == []  # fmt: skip

    def test_every_problem_is_listed_in_the_order_a_submission_checks_them(self) -> None:
        # the ID says 2013-08-31; the form says 2013-09-01, which is also one day too young
        # for 2019 and (on 2013-08-01) a day not yet come
        problems = rules.child_problems(
            "220822201308310034", date(2013, 9, 1), year=2019, level="primary",
            cutoff_month_day=self.CUTOFF, today=date(2013, 8, 1),
        )  # fmt: skip
        assert [(p.error.field, p.error.rule, p.is_policy) for p in problems] == [
            ("child.birth_date", "citizen_id_birth_date", False),
            ("child.birth_date", "birth_date_past", False),
            ("child.birth_date", "entry_age", True),
        ]
        assert "2013-08-31" in problems[2].error.message

    def test_junior_has_no_age_rule(self) -> None:
        assert rules.child_problems(
            "220822201308310034", date(2013, 8, 31), year=2019, level="junior",
            cutoff_month_day=self.CUTOFF, today=date(2019, 5, 1),
        ) == []  # fmt: skip


SCHOOL_LEVELS = {"A": ["primary"], "B": ["primary"], "J": ["junior"]}


class TestChoiceProblems:
    def test_a_single_school_zone_fills_the_choice(self) -> None:
        assert rules.choice_problems([], ["A"], school_levels=SCHOOL_LEVELS, level="primary") == (
            ["A"], [],
        )  # fmt: skip

    def test_a_multi_school_zone_needs_a_ranking(self) -> None:
        choices, problems = rules.choice_problems(
            [], ["A", "B"], school_levels=SCHOOL_LEVELS, level="primary"
        )
        assert (choices, [p.error.rule for p in problems]) == ([], ["choices_required"])

    def test_each_choice_is_checked_and_named_by_its_position(self) -> None:
        choices, problems = rules.choice_problems(
            ["X", "B", "J"], ["A", "J"], school_levels=SCHOOL_LEVELS, level="primary"
        )
        assert choices == ["X", "B", "J"]
        assert [(p.error.field, p.error.rule, p.is_policy) for p in problems] == [
            ("choices[0]", "school_known", False),
            ("choices[1]", "choice_in_zone", True),
            ("choices[2]", "school_level", True),
        ]

    def test_options_list_the_home_zone_first(self) -> None:
        assert rules.school_options(["B", "C"], ["A", "B"]) == ["B", "C", "A"]


class TestStudentNumberAgainstTheCitizenId:
    """MOE 《中小学生学籍管理常见问题及解答》 (2016): "G 字头正式学籍号为 'G + 身份证号'" —
    domain.md §1.4. The ID 150602201903150018: body 15060220190315001, sum 191, 191 mod 11 = 4,
    check character 8."""

    CHILD = "150602201903150018"

    def test_the_g_number_of_the_same_id_passes(self) -> None:
        assert rules.student_number_mismatch(self.CHILD, "G" + self.CHILD) is None

    def test_a_g_number_of_another_id_is_named(self) -> None:
        problem = rules.student_number_mismatch(self.CHILD, "G220822201308310034")
        assert problem is not None
        assert (problem.error.field, problem.error.rule) == (
            "child.student_number",
            "student_number_matches_citizen_id",
        )
        assert not problem.is_policy  # bad input (422 invalid-input), not a policy rule

    @pytest.mark.parametrize("number", [None, "J150602201903150018", "L220822201308314821"])
    def test_j_l_and_no_number_hold_no_id_to_compare(self, number: str | None) -> None:
        assert rules.student_number_mismatch(self.CHILD, number) is None

    def test_the_mismatch_is_the_first_problem_of_the_child(self) -> None:
        problems = rules.child_problems(
            self.CHILD,
            date(2019, 3, 16),  # not the ID's birth date either
            year=2025,
            level="primary",
            cutoff_month_day=CUTOFF,
            today=date(2025, 5, 1),
            student_number="G220822201308310034",
        )
        assert [p.error.rule for p in problems] == [
            "student_number_matches_citizen_id",
            "citizen_id_birth_date",
        ]


def test_a_family_withdraws_before_admission_only() -> None:
    """Issue 18 §3: withdrawn from any open review state; admitted and withdrawn are final."""
    for status in ("submitted", "verifying", "needs_documents", "verified"):
        assert rules.can_move(status, "withdrawn")
    for status in ("rejected", "withdrawn", "admitted"):
        assert rules.TRANSITIONS[status] == frozenset()


def test_only_an_admitted_application_is_held_by_its_admission() -> None:
    assert rules.admission_stands("admitted")
    assert not rules.admission_stands("verified")
    assert rules.ADMISSION_STANDS.rule == "admission_stands"
