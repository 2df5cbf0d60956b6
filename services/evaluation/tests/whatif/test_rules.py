"""What-if rules: changes applied in order, and the greedy cheapest fix, number by number."""

from dataclasses import replace
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.assessment.catalogue import NATIONAL_2017
from evaluation.assessment.rules import SectionInput, assess, shortfall
from evaluation.whatif import rules as whatif_rules
from evaluation.whatif.rules import (
    AddResources,
    MoveTeachers,
    SetStudents,
    apply_changes,
    changed_sections,
    cheapest_fix,
    section_additions,
)
from junheng_kit.i18n import t
from junheng_kit.problems import RuleViolated

CATALOGUE = NATIONAL_2017


def primary(code: str = "2115060001", **changes: float) -> SectionInput:
    """1000 pupils, every primary indicator comfortably met (5.0 / 1.2 / 1.0 / 5.0 / 8.0 / 2200 /
    2.5 against 4.2 / 1 / 0.9 / 4.5 / 7.5 / 2000 / 2.3)."""
    section = SectionInput(
        school_code=code,
        level="primary",
        students=1000,
        teachers_above_required_degree=50,
        backbone_teachers=12,
        pe_arts_teachers=10,
        teaching_auxiliary_area_m2=5000.0,
        sports_venue_area_m2=8000.0,
        equipment_value_yuan=2_200_000.0,
        multimedia_classrooms=25,
    )
    return replace(section, **changes)  # type: ignore[arg-type]


# The county of the API tests: C (300 pupils) meets 5 of 7 — qualified teachers 4.0 < 4.2 and
# teaching area 4.0 < 4.5, both above their floors (3.57, 3.825) — so it fails.
A = SectionInput("2115060001", "primary", 1200, 60, 14, 12, 6000.0, 9600.0, 2_600_000.0, 30)
B = SectionInput("2115060002", "primary", 800, 36, 8, 8, 3600.0, 5600.0, 1_680_000.0, 20)
C = SectionInput("2115060003", "primary", 300, 12, 3, 3, 1200.0, 2400.0, 660_000.0, 7)
J = SectionInput("3115060001", "junior", 1000, 53, 10, 9, 5800.0, 10200.0, 2_500_000.0, 24)
COUNTY = [A, B, C, J]


def fix_of(section: SectionInput) -> dict[str, int | Decimal]:
    """The greedy additions for one section, assessed beside a well-resourced section of its
    level (so no county mean is 0, whatever the section lacks)."""
    return section_additions(section, assess(beside(section), CATALOGUE).sections[0], CATALOGUE)


def beside(section: SectionInput) -> list[SectionInput]:
    companion = primary("2115060099") if section.level == "primary" else J
    return [section, companion]


def rule_of(error: pytest.ExceptionInfo[RuleViolated]) -> tuple[str, str]:
    return error.value.errors[0].field, error.value.errors[0].rule


class TestApplyChanges:
    def test_moving_teachers_lowers_the_source_and_raises_the_target_of_that_kind_only(
        self,
    ) -> None:
        move = MoveTeachers("2115060001", "primary", "2115060003", "primary", "backbone", 2)

        after = apply_changes(COUNTY, [move])

        assert (after[0].backbone_teachers, after[2].backbone_teachers) == (12, 5)
        assert (
            after[0].teachers_above_required_degree,
            after[2].teachers_above_required_degree,
        ) == (
            60,
            12,
        )
        assert after[1] == B
        assert after[3] == J

    def test_teachers_move_between_the_two_sections_of_a_nine_year_school(self) -> None:
        nine_year = [primary("2115060009"), replace(J, school_code="2115060009")]
        move = MoveTeachers("2115060009", "junior", "2115060009", "primary", "pe_arts", 3)

        after = apply_changes(nine_year, [move])

        assert [s.pe_arts_teachers for s in after] == [13, 6]

    def test_adding_resources_keeps_counts_whole_and_areas_as_floats(self) -> None:
        add = AddResources(
            "2115060003",
            "primary",
            {"multimedia_classrooms": 2, "teaching_auxiliary_area_m2": 150.5},
        )

        after = apply_changes(COUNTY, [add])[2]

        assert after.multimedia_classrooms == 9
        assert isinstance(after.multimedia_classrooms, int)
        assert after.teaching_auxiliary_area_m2 == 1350.5

    def test_setting_students_changes_only_enrollment(self) -> None:
        after = apply_changes(COUNTY, [SetStudents("2115060003", "primary", 250)])[2]

        assert after == replace(C, students=250)

    def test_changes_apply_in_order(self) -> None:
        add = AddResources("2115060003", "primary", {"teachers_above_required_degree": 1})
        move = MoveTeachers(
            "2115060003", "primary", "2115060001", "primary", "above_required_degree", 13
        )

        after = apply_changes(COUNTY, [add, move])

        assert (
            after[0].teachers_above_required_degree,
            after[2].teachers_above_required_degree,
        ) == (
            73,
            0,
        )

    def test_the_input_sections_are_not_changed(self) -> None:
        apply_changes(COUNTY, [SetStudents("2115060003", "primary", 250)])

        assert COUNTY[2].students == 300

    def test_moving_more_teachers_than_the_source_has_at_that_point_is_refused(self) -> None:
        move = MoveTeachers(
            "2115060003", "primary", "2115060001", "primary", "above_required_degree", 13
        )
        with pytest.raises(RuleViolated) as error:
            apply_changes(COUNTY, [SetStudents("2115060003", "primary", 250), move])
        assert rule_of(error) == ("changes[1].count", "teachers_available")
        assert error.value.errors[0].message == t(
            "2115060003 primary 此时有 12 名 teachers_above_required_degree，无法调动 13 名",
            "2115060003 primary has 12 teachers_above_required_degree at this point; "
            "cannot move 13",
        )

    def test_an_unknown_school_is_named_by_its_field(self) -> None:
        move = MoveTeachers("2115060001", "primary", "2115069999", "primary", "backbone", 1)
        with pytest.raises(RuleViolated) as error:
            apply_changes(COUNTY, [SetStudents("2115060003", "primary", 250), move])
        assert rule_of(error) == ("changes[1].to_school", "school_in_assessment")

    def test_a_known_school_without_that_level_is_named_by_the_level(self) -> None:
        with pytest.raises(RuleViolated) as error:
            apply_changes(COUNTY, [SetStudents("2115060003", "junior", 250)])
        assert rule_of(error) == ("changes[0].level", "section_in_assessment")

    def test_moving_within_one_section_is_refused(self) -> None:
        move = MoveTeachers("2115060003", "primary", "2115060003", "primary", "backbone", 1)
        with pytest.raises(RuleViolated) as error:
            apply_changes(COUNTY, [move])
        assert rule_of(error) == ("changes[0].to_school", "distinct_sections")


class TestChangedSections:
    def test_lists_only_sections_whose_inputs_differ_with_both_verdicts(self) -> None:
        after = apply_changes(
            COUNTY,
            [
                SetStudents("2115060001", "primary", 1200),  # the same value: unchanged
                AddResources("2115060003", "primary", {"teachers_above_required_degree": 1}),
            ],
        )

        changed = changed_sections(
            COUNTY, after, assess(COUNTY, CATALOGUE), assess(after, CATALOGUE)
        )

        assert changed == [whatif_rules.ChangedSection("2115060003", "primary", False, True, 5, 6)]


class TestCheapestFix:
    def test_adds_the_one_teacher_c_needs_rather_than_150_square_metres(self) -> None:
        # relative shortfalls: teachers (4.2 − 4.0) / 4.2 = 0.0476, area (4.5 − 4.0) / 4.5 = 0.111;
        # ceil(4.2 × 300 / 100) − 12 = 13 − 12 = 1 teacher → 4.333 ≥ 4.2, 6 of 7 met
        plan = cheapest_fix(COUNTY, assess(COUNTY, CATALOGUE), CATALOGUE)

        assert [(s.school_code, s.level, s.additions) for s in plan.sections] == [
            ("2115060003", "primary", {"teachers_above_required_degree": 1})
        ]
        assert plan.totals == {"teachers_above_required_degree": 1}
        assert plan.resulting.resource_allocation_passed is True
        assert plan.resulting.sections[2].met_count == 6

    def test_an_indicator_at_80_percent_is_raised_to_its_floor_not_its_threshold(self) -> None:
        # area 3600 m² / 1000 pupils = 3.6 = 80 % of 4.5; floor 3.825 → 3825 − 3600 = 225 m²;
        # the other six are met, so the floor is enough
        section = primary(teaching_auxiliary_area_m2=3600.0)

        assert fix_of(section) == {"teaching_auxiliary_area_m2": Decimal("225")}

    def test_teachers_below_the_floor_are_raised_to_whole_teachers(self) -> None:
        # 35 / 1000 × 100 = 3.5 < 3.57; 3.57 × 1000 / 100 = 35.7 → 36 teachers → add 1
        assert fix_of(primary(teachers_above_required_degree=35)) == {
            "teachers_above_required_degree": 1
        }

    def test_three_unmet_indicators_raise_the_two_smallest_relative_shortfalls(self) -> None:
        # teachers 4.0 (0.0476), area 4.0 (0.1111), classrooms 2.0 ((2.3 − 2.0) / 2.3 = 0.1304):
        # 4 of 7 met, 2 more needed → teachers ceil(42) − 40 = 2 and area 4500 − 4000 = 500 m²
        section = primary(
            teachers_above_required_degree=40,
            teaching_auxiliary_area_m2=4000.0,
            multimedia_classrooms=20,
        )

        assert fix_of(section) == {
            "teachers_above_required_degree": 2,
            "teaching_auxiliary_area_m2": Decimal("500"),
        }

    def test_a_raised_floor_competes_with_its_remaining_shortfall(self) -> None:
        # area 3.6 → floor 3.825 (225 m²), then 15 % short; teachers 4.0 (4.76 %) and classrooms
        # 2.0 (13.04 %) are cheaper, so they reach their thresholds: 2 teachers, ceil(23) − 20 = 3
        section = primary(
            teachers_above_required_degree=40,
            teaching_auxiliary_area_m2=3600.0,
            multimedia_classrooms=20,
        )

        assert fix_of(section) == {
            "teachers_above_required_degree": 2,
            "teaching_auxiliary_area_m2": Decimal("225"),
            "multimedia_classrooms": 3,
        }

    def test_a_floor_that_meets_the_threshold_counts_as_met(self) -> None:
        # 50 pupils, no backbone teacher: floor 0.85 × 50 / 100 = 0.425 → 1 teacher = 2.0 ≥ 1, met;
        # with area 4.0 the only other miss, 6 of 7 are met and nothing more is added
        section = primary(
            students=50,
            teachers_above_required_degree=3,
            backbone_teachers=0,
            pe_arts_teachers=1,
            teaching_auxiliary_area_m2=200.0,
            sports_venue_area_m2=400.0,
            equipment_value_yuan=110_000.0,
            multimedia_classrooms=2,
        )

        assert fix_of(section) == {"backbone_teachers": 1}

    def test_areas_and_money_round_up_to_the_cent(self) -> None:
        # 333 pupils: area 4.5 × 333 = 1498.5 m² needed, floor 3.825 × 333 = 1273.725 → 1273.73
        section = primary(
            students=333,
            teachers_above_required_degree=14,
            backbone_teachers=4,
            pe_arts_teachers=3,
            teaching_auxiliary_area_m2=1000.0,
            sports_venue_area_m2=2500.0,
            equipment_value_yuan=700_000.0,
            multimedia_classrooms=8,
        )

        assert fix_of(section) == {"teaching_auxiliary_area_m2": Decimal("273.73")}

    def test_threshold_amounts_agree_with_the_assessment_shortfall(self) -> None:
        section = primary(
            students=333,
            teachers_above_required_degree=13,  # 3.90 < 4.2 (≥ 3.57)
            teaching_auxiliary_area_m2=1400.3,  # 4.205 < 4.5 (≥ 3.825)
            sports_venue_area_m2=2300.0,  # 6.91 < 7.5 (≥ 6.375)
            equipment_value_yuan=700_000.0,
            multimedia_classrooms=8,
            backbone_teachers=4,
            pe_arts_teachers=3,
        )

        additions = fix_of(section)

        # relative shortfalls: area 6.55 %, teachers 7.05 %, sports 7.9 % → area and teachers
        assert additions["teachers_above_required_degree"] == shortfall(
            section, "senior_degree_teachers_per_100", CATALOGUE
        )
        # 4.5 × 333 = 1498.5 − 1400.3 = 98.2 m², from the amount as written: the float 1400.3 is
        # 1400.2999…, whose exact shortfall 98.2000…0455 would round up to 98.21
        assert additions["teaching_auxiliary_area_m2"] == Decimal("98.2")
        assert shortfall(section, "teaching_area_per_student", CATALOGUE).quantize(
            Decimal("0.01"), rounding=ROUND_CEILING
        ) == Decimal("98.21")
        assert "sports_venue_area_m2" not in additions

    def test_an_area_whose_float_sum_falls_short_gets_one_cent_more(self) -> None:
        # 2 pupils, 6.1 m² (3.05 < 3.825): floor 3.825 × 2 = 7.65 → 1.55 m² as written, but the
        # float sum 6.1 + 1.55 is 7.6499999999999995, which `assess` finds below 7.65 → 1.56
        section = primary(
            students=2,
            teachers_above_required_degree=1,
            backbone_teachers=1,
            pe_arts_teachers=1,
            teaching_auxiliary_area_m2=6.1,
            sports_venue_area_m2=16.0,
            equipment_value_yuan=5000.0,
            multimedia_classrooms=1,
        )

        additions = fix_of(section)

        assert 6.1 + 1.55 == 7.6499999999999995
        assert additions == {"teaching_auxiliary_area_m2": Decimal("1.56")}

    def test_a_passing_county_needs_nothing(self) -> None:
        county = [A, B, J]

        plan = cheapest_fix(county, assess(county, CATALOGUE), CATALOGUE)

        assert (plan.sections, plan.totals) == ([], {})
        assert plan.resulting.resource_allocation_passed is True

    def test_the_method_says_greedy_and_names_the_policy_values(self) -> None:
        assert whatif_rules.method(CATALOGUE).startswith(
            "greedy: for each failing section, first raise every indicator below its 85 % floor"
        )
        assert "fewer than 6 of 7 indicators" in whatif_rules.method(CATALOGUE)


SECTION = st.builds(
    SectionInput,
    school_code=st.just("2115060001"),
    level=st.sampled_from(["primary", "junior"]),
    students=st.integers(1, 3000),
    teachers_above_required_degree=st.integers(0, 200),
    backbone_teachers=st.integers(0, 50),
    pe_arts_teachers=st.integers(0, 50),
    teaching_auxiliary_area_m2=st.floats(0, 20_000, allow_nan=False),
    sports_venue_area_m2=st.floats(0, 40_000, allow_nan=False),
    equipment_value_yuan=st.floats(0, 8e6, allow_nan=False),
    multimedia_classrooms=st.integers(0, 80),
)


class TestCheapestFixProperties:
    @settings(max_examples=300, deadline=None)
    @given(SECTION)
    def test_every_fixed_section_passes_and_no_addition_is_a_step_too_large(
        self, section: SectionInput
    ) -> None:
        plan = cheapest_fix(beside(section), assess(beside(section), CATALOGUE), CATALOGUE)
        additions = plan.sections[0].additions if plan.sections else {}

        assert plan.resulting.sections[0].passed is True
        assert plan.resulting.failing_schools == []
        for spec in CATALOGUE.indicators:
            added = additions.get(spec.input_field)
            if added is None:
                continue
            step: int | Decimal = 1 if isinstance(added, int) else Decimal("0.01")
            threshold = spec.thresholds[section.level]
            floor = CATALOGUE.floor(spec.key, section.level)
            field, per = spec.input_field, spec.per_students
            bound = threshold if reaches(section, field, added, threshold, per) else floor
            # one step less misses the bound: as the floats sum, or else as the amounts are written
            assert not reaches(section, field, added - step, bound, per) or not reaches(
                section, field, added - step, bound, per, written=True
            )


def reaches(
    section: SectionInput,
    field: str,
    added: int | Decimal,
    bound: Decimal,
    per: int,
    *,
    written: bool = False,
) -> bool:
    value = getattr(section, field)
    if isinstance(added, int):
        total = Fraction(value + added)
    elif written:
        total = Fraction(Decimal(repr(float(value))) + added)
    else:
        total = Fraction(float(value) + float(added))
    return total * per >= Fraction(bound) * section.students
