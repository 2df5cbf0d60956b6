"""Resource-allocation rules against domain.md §5.2, §5.3 and §5.6, number by number."""

import math
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluation.assessment.catalogue import INDICATOR_KEYS, NATIONAL_2017, Level
from evaluation.assessment.rules import (
    SectionInput,
    assess,
    coefficient_of_variation,
    shortfall,
)
from junheng_kit.i18n import Text
from junheng_kit.problems import RuleViolated

CATALOGUE = NATIONAL_2017

# domain.md §5.3: indicator 4 of four primary schools, 5.0 / 4.5 / 4.0 / 9.0 m² per pupil
FOUR_PRIMARY_PUPILS = [1200, 800, 300, 100]
FOUR_PRIMARY_AREA_M2 = [6000.0, 3600.0, 1200.0, 900.0]


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


def junior(code: str = "2115060002", **changes: float) -> SectionInput:
    """1000 pupils, every junior indicator comfortably met (6.0 / 1.2 / 1.0 / 6.0 / 11.0 / 2650 /
    2.5 against 5.3 / 1 / 0.9 / 5.8 / 10.2 / 2500 / 2.4)."""
    section = SectionInput(
        school_code=code,
        level="junior",
        students=1000,
        teachers_above_required_degree=60,
        backbone_teachers=12,
        pe_arts_teachers=10,
        teaching_auxiliary_area_m2=6000.0,
        sports_venue_area_m2=11000.0,
        equipment_value_yuan=2_650_000.0,
        multimedia_classrooms=25,
    )
    return replace(section, **changes)  # type: ignore[arg-type]


def only(section: SectionInput) -> dict[str, tuple[bool, bool]]:
    """(met, within_85) of each indicator of one section assessed alone."""
    outcome = assess([section], CATALOGUE).sections[0]
    return {key: (result.met, result.within_85) for key, result in outcome.indicators.items()}


class TestCoefficientOfVariation:
    def test_weights_mean_and_deviation_by_pupils(self) -> None:
        # X̄ = 11700 / 2400 = 4.875; Σ (P_i/P)(X_i − X̄)² = 55/64; S = 0.927025; CV = S / 4.875
        cv = coefficient_of_variation(FOUR_PRIMARY_PUPILS, FOUR_PRIMARY_AREA_M2)

        assert cv == pytest.approx(math.sqrt(55 / 64) / 4.875, rel=1e-12)
        assert cv == pytest.approx(0.190159, abs=1e-6)

    def test_is_not_an_unweighted_coefficient_of_variation(self) -> None:
        per_pupil = np.array(FOUR_PRIMARY_AREA_M2) / np.array(FOUR_PRIMARY_PUPILS)
        unweighted_population = float(per_pupil.std() / per_pupil.mean())
        unweighted_sample = float(per_pupil.std(ddof=1) / per_pupil.mean())

        cv = coefficient_of_variation(FOUR_PRIMARY_PUPILS, FOUR_PRIMARY_AREA_M2)

        assert unweighted_population == pytest.approx(0.3521, abs=1e-4)
        assert unweighted_sample == pytest.approx(0.4065, abs=1e-4)
        assert cv != pytest.approx(unweighted_population, abs=1e-2)
        assert cv != pytest.approx(unweighted_sample, abs=1e-2)

    def test_matches_the_published_five_school_example(self) -> None:
        cv = coefficient_of_variation([45, 37, 89, 76, 55], [279, 137, 935, 160, 402])

        assert cv == pytest.approx(0.5153, abs=1e-4)

    def test_is_zero_for_one_section(self) -> None:
        assert coefficient_of_variation([1200], [6000.0]) == 0.0

    def test_accepts_numpy_arrays(self) -> None:
        cv = coefficient_of_variation(np.array(FOUR_PRIMARY_PUPILS), np.array(FOUR_PRIMARY_AREA_M2))

        assert cv == pytest.approx(0.190159, abs=1e-6)

    def test_rejects_a_county_mean_of_zero(self) -> None:
        with pytest.raises(RuleViolated) as raised:
            coefficient_of_variation(
                [300, 500], [0, 0], what="junior multimedia_classrooms_per_100"
            )

        (error,) = raised.value.errors
        assert (error.field, error.rule) == ("schools", "cv_mean_positive")
        assert isinstance(error.message, Text)
        assert error.message.zh.startswith("junior multimedia_classrooms_per_100：县域均值为 0")
        assert error.message.en.startswith("junior multimedia_classrooms_per_100: ")


PUPILS = st.integers(1, 3000)
POSITIVE_AMOUNTS = st.floats(1, 1e6)


class TestCoefficientOfVariationProperties:
    @given(
        st.lists(st.tuples(PUPILS, POSITIVE_AMOUNTS), min_size=1, max_size=40), st.floats(0.01, 100)
    )
    def test_does_not_depend_on_the_unit(
        self, sections: list[tuple[int, float]], factor: float
    ) -> None:
        pupils = [p for p, _ in sections]
        amounts = [a for _, a in sections]

        rescaled = coefficient_of_variation(pupils, [a * factor for a in amounts])

        assert rescaled == pytest.approx(
            coefficient_of_variation(pupils, amounts), rel=1e-9, abs=1e-12
        )

    @given(
        st.lists(st.tuples(PUPILS, POSITIVE_AMOUNTS), min_size=1, max_size=40).flatmap(
            lambda sections: st.tuples(st.just(sections), st.permutations(sections))
        )
    )
    def test_does_not_depend_on_the_order_of_sections(
        self, orders: tuple[list[tuple[int, float]], list[tuple[int, float]]]
    ) -> None:
        original, shuffled = orders

        assert coefficient_of_variation(
            [p for p, _ in shuffled], [a for _, a in shuffled]
        ) == pytest.approx(
            coefficient_of_variation([p for p, _ in original], [a for _, a in original]),
            rel=1e-9,
            abs=1e-12,
        )

    @given(st.lists(PUPILS, min_size=1, max_size=40), st.integers(1, 10_000))
    def test_is_zero_when_every_section_has_the_same_value_per_pupil(
        self, pupils: list[int], per_pupil: int
    ) -> None:
        cv = coefficient_of_variation(pupils, [p * per_pupil / 100 for p in pupils])

        assert cv == pytest.approx(0.0, abs=1e-12)


class TestPerSchoolRule:
    def test_passes_with_teaching_area_4_0_and_the_other_six_met(self) -> None:
        # domain.md §5.2: 4.0 < 4.5 but ≥ 3.825
        outcome = assess([primary(teaching_auxiliary_area_m2=4000.0)], CATALOGUE).sections[0]

        assert outcome.indicators["teaching_area_per_student"].value == 4.0
        assert outcome.indicators["teaching_area_per_student"].met is False
        assert outcome.indicators["teaching_area_per_student"].within_85 is True
        assert (outcome.met_count, outcome.passed) == (6, True)

    def test_fails_when_multimedia_classrooms_also_miss_five_of_seven(self) -> None:
        section = primary(teaching_auxiliary_area_m2=4000.0, multimedia_classrooms=22)

        outcome = assess([section], CATALOGUE).sections[0]

        assert outcome.indicators["multimedia_classrooms_per_100"].value == 2.2
        assert outcome.indicators["multimedia_classrooms_per_100"].within_85 is True
        assert (outcome.met_count, outcome.passed) == (5, False)

    def test_fails_with_one_indicator_below_85_percent_and_six_met(self) -> None:
        # 3.8 m² per pupil < 3.825 = 4.5 × 0.85
        outcome = assess([primary(teaching_auxiliary_area_m2=3800.0)], CATALOGUE).sections[0]

        assert outcome.indicators["teaching_area_per_student"].within_85 is False
        assert (outcome.met_count, outcome.passed) == (6, False)

    def test_passes_with_all_seven_met(self) -> None:
        outcome = assess([primary()], CATALOGUE).sections[0]

        assert (outcome.met_count, outcome.passed) == (7, True)

    def test_reports_values_and_thresholds_in_catalogue_order(self) -> None:
        outcome = assess([primary()], CATALOGUE).sections[0]

        assert list(outcome.indicators) == list(INDICATOR_KEYS)
        assert {key: r.value for key, r in outcome.indicators.items()} == {
            "senior_degree_teachers_per_100": 5.0,
            "backbone_teachers_per_100": 1.2,
            "pe_arts_teachers_per_100": 1.0,
            "teaching_area_per_student": 5.0,
            "sports_area_per_student": 8.0,
            "equipment_value_per_student": 2200.0,
            "multimedia_classrooms_per_100": 2.5,
        }
        assert [r.threshold for r in outcome.indicators.values()] == [
            Decimal("4.2"),
            Decimal("1"),
            Decimal("0.9"),
            Decimal("4.5"),
            Decimal("7.5"),
            Decimal("2000"),
            Decimal("2.3"),
        ]

    def test_uses_junior_thresholds_for_junior_sections(self) -> None:
        # 5.0 qualified teachers per 100 meets primary 4.2 but not junior 5.3 (floor 4.505)
        outcome = assess([junior(teachers_above_required_degree=50)], CATALOGUE).sections[0]

        result = outcome.indicators["senior_degree_teachers_per_100"]
        assert (result.threshold, result.met, result.within_85) == (Decimal("5.3"), False, True)
        assert [r.threshold for r in outcome.indicators.values()] == [
            Decimal("5.3"),
            Decimal("1"),
            Decimal("0.9"),
            Decimal("5.8"),
            Decimal("10.2"),
            Decimal("2500"),
            Decimal("2.4"),
        ]

    def test_keeps_the_input_order_of_sections(self) -> None:
        sections = [junior("B"), primary("A"), primary("C")]

        outcome = assess(sections, CATALOGUE)

        assert [(s.school_code, s.level) for s in outcome.sections] == [
            ("B", "junior"),
            ("A", "primary"),
            ("C", "primary"),
        ]


class TestExactBoundaries:
    def test_357_qualified_teachers_per_10000_primary_pupils_are_within_85_but_not_met(
        self,
    ) -> None:
        # 3.57 = 4.2 × 0.85 exactly
        section = primary(students=10_000, teachers_above_required_degree=357)

        assert only(section)["senior_degree_teachers_per_100"] == (False, True)

    def test_356_qualified_teachers_per_10000_primary_pupils_are_below_85(self) -> None:
        section = primary(students=10_000, teachers_above_required_degree=356)

        assert only(section)["senior_degree_teachers_per_100"] == (False, False)

    def test_420_qualified_teachers_per_10000_primary_pupils_are_met(self) -> None:
        section = primary(students=10_000, teachers_above_required_degree=420)

        assert only(section)["senior_degree_teachers_per_100"] == (True, True)

    def test_junior_floor_4_505_is_within_85_and_one_teacher_less_is_not(self) -> None:
        # 901 / 20000 × 100 = 4.505 = 5.3 × 0.85; 1060 / 20000 × 100 = 5.3
        at_floor = junior(students=20_000, teachers_above_required_degree=901)
        below_floor = junior(students=20_000, teachers_above_required_degree=900)
        at_threshold = junior(students=20_000, teachers_above_required_degree=1060)

        assert only(at_floor)["senior_degree_teachers_per_100"] == (False, True)
        assert only(below_floor)["senior_degree_teachers_per_100"] == (False, False)
        assert only(at_threshold)["senior_degree_teachers_per_100"] == (True, True)

    def test_nine_pe_teachers_per_1000_pupils_meet_0_9_although_the_float_quotient_misses(
        self,
    ) -> None:
        assert 9 / 1000 * 100 < 0.9  # the float pitfall the exact decision avoids

        outcome = assess([primary(pe_arts_teachers=9)], CATALOGUE).sections[0]

        result = outcome.indicators["pe_arts_teachers_per_100"]
        assert (result.value, result.met, result.within_85) == (0.9, True, True)

    def test_area_one_ulp_under_the_floor_is_below_85_although_float_says_within(self) -> None:
        area_m2 = math.nextafter(3825.0, 0.0)  # 3824.9999999999995 m² for 1000 pupils
        assert area_m2 / 1000 >= 4.5 * 0.85  # the float pitfall: 4.5 × 0.85 = 3.8249999999999997

        assert only(primary(teaching_auxiliary_area_m2=area_m2))["teaching_area_per_student"] == (
            False,
            False,
        )

    def test_area_exactly_at_the_floor_is_within_85(self) -> None:
        assert only(primary(teaching_auxiliary_area_m2=3825.0))["teaching_area_per_student"] == (
            False,
            True,
        )

    def test_multimedia_classrooms_at_the_1_955_floor_are_within_85(self) -> None:
        assert 2.3 * 0.85 < 1.955  # float product of the threshold and the ratio undershoots

        section = primary(students=20_000, multimedia_classrooms=391)  # 391 / 200 = 1.955

        assert only(section)["multimedia_classrooms_per_100"] == (False, True)

    @given(
        st.sampled_from(["primary", "junior"]),
        st.integers(1, 100_000),
        st.sampled_from(list(INDICATOR_KEYS)),
        st.integers(-3, 3),
        st.sampled_from(["threshold", "floor"]),
    )
    def test_agrees_with_rational_arithmetic_at_and_around_every_boundary(
        self, level: Level, students: int, key: str, ulps: int, boundary: str
    ) -> None:
        spec = CATALOGUE.indicator(key)
        bound = spec.thresholds[level] if boundary == "threshold" else CATALOGUE.floor(key, level)
        exact_amount = Fraction(bound) * students / spec.per_students
        if spec.counts_whole_units:
            amount: float = max(0, math.floor(exact_amount) + ulps)
        else:
            amount = float(exact_amount)
            for _ in range(abs(ulps)):
                amount = math.nextafter(amount, math.inf if ulps > 0 else 0.0)
        base = primary() if level == "primary" else junior()
        section = replace(base, students=students, **{spec.input_field: amount})

        # with a comfortable companion section, so the county mean stays positive
        result = assess([section, base], CATALOGUE).sections[0].indicators[key]

        value = Fraction(amount) * spec.per_students / students
        assert result.met is (value >= Fraction(spec.thresholds[level]))
        assert result.within_85 is (value >= Fraction(CATALOGUE.floor(key, level)))


def two_sections_with_equipment(level: Level, yuan: tuple[int, int]) -> list[SectionInput]:
    make = primary if level == "primary" else junior
    return [
        make(f"{level}-{i}", equipment_value_yuan=float(1000 * per_pupil))
        for i, per_pupil in enumerate(yuan)
    ]


class TestCountyVerdict:
    def test_applies_cv_limits_0_50_for_primary_and_0_45_for_junior(self) -> None:
        # equal pupils, 7350 and 2650 yuan per pupil: CV = (7350 − 2650) / (7350 + 2650) = 0.47
        sections = two_sections_with_equipment("primary", (7350, 2650)) + (
            two_sections_with_equipment("junior", (7350, 2650))
        )

        outcome = assess(sections, CATALOGUE)

        primary_cv = outcome.cv["primary"]["equipment_value_per_student"]
        junior_cv = outcome.cv["junior"]["equipment_value_per_student"]
        assert primary_cv.value == pytest.approx(0.47, abs=1e-12)
        assert (primary_cv.limit, primary_cv.passed) == (Decimal("0.50"), True)
        assert junior_cv.value == pytest.approx(0.47, abs=1e-12)
        assert (junior_cv.limit, junior_cv.passed) == (Decimal("0.45"), False)
        assert outcome.failing_cv == [
            {"level": "junior", "indicator": "equipment_value_per_student"}
        ]
        assert outcome.failing_schools == []
        assert outcome.resource_allocation_passed is False

    def test_reports_every_indicator_of_each_level_present_primary_first(self) -> None:
        outcome = assess([junior(), primary()], CATALOGUE)

        assert list(outcome.cv) == ["primary", "junior"]
        assert list(outcome.cv["primary"]) == list(INDICATOR_KEYS)
        assert list(outcome.cv["junior"]) == list(INDICATOR_KEYS)
        assert {r.value for by_key in outcome.cv.values() for r in by_key.values()} == {0.0}

    def test_reports_only_levels_present_in_the_input(self) -> None:
        outcome = assess([primary("A"), primary("B")], CATALOGUE)

        assert list(outcome.cv) == ["primary"]

    def test_weights_the_county_cv_by_pupils(self) -> None:
        sections = [
            primary(str(i), students=pupils, teaching_auxiliary_area_m2=area)
            for i, (pupils, area) in enumerate(
                zip(FOUR_PRIMARY_PUPILS, FOUR_PRIMARY_AREA_M2, strict=True)
            )
        ]

        outcome = assess(sections, CATALOGUE)

        assert outcome.cv["primary"]["teaching_area_per_student"].value == pytest.approx(
            0.190159, abs=1e-6
        )

    def test_fails_resource_allocation_when_one_school_fails(self) -> None:
        failing = primary("B", backbone_teachers=9, multimedia_classrooms=22)  # 5 of 7

        outcome = assess([primary("A"), failing, primary("C")], CATALOGUE)

        assert [s.passed for s in outcome.sections] == [True, False, True]
        assert outcome.failing_schools == [{"school_code": "B", "level": "primary"}]
        assert outcome.failing_cv == []
        assert outcome.resource_allocation_passed is False

    def test_passes_resource_allocation_when_every_school_and_cv_passes(self) -> None:
        outcome = assess([primary("A"), junior("A"), primary("B")], CATALOGUE)

        assert outcome.resource_allocation_passed is True
        assert (outcome.failing_schools, outcome.failing_cv) == ([], [])

    def test_rejects_a_level_whose_county_total_of_an_indicator_is_zero(self) -> None:
        sections = [
            primary(),
            junior("J1", multimedia_classrooms=0),
            junior("J2", multimedia_classrooms=0),
        ]

        with pytest.raises(RuleViolated) as raised:
            assess(sections, CATALOGUE)

        (error,) = raised.value.errors
        assert (error.field, error.rule) == ("schools", "cv_mean_positive")
        assert isinstance(error.message, Text)
        assert error.message.zh.startswith("junior multimedia_classrooms_per_100：县域均值为 0")
        assert error.message.en.startswith("junior multimedia_classrooms_per_100: ")


class TestShortfall:
    def test_counts_whole_qualified_teachers_to_add(self) -> None:
        # ceil(4.2 × 1000 / 100) − 40 = 42 − 40
        section = primary(teachers_above_required_degree=40)

        assert shortfall(section, "senior_degree_teachers_per_100", CATALOGUE) == Decimal(2)

    def test_rounds_a_fractional_teacher_up(self) -> None:
        # junior, 1010 pupils: 5.3 × 1010 / 100 = 53.53 → 54 − 50
        section = junior(students=1010, teachers_above_required_degree=50)

        assert shortfall(section, "senior_degree_teachers_per_100", CATALOGUE) == Decimal(4)

    def test_counts_whole_multimedia_classrooms(self) -> None:
        # ceil(2.3 × 1000 / 100) − 22 = 23 − 22
        section = primary(multimedia_classrooms=22)

        assert shortfall(section, "multimedia_classrooms_per_100", CATALOGUE) == Decimal(1)

    def test_gives_the_exact_missing_area(self) -> None:
        # 4.5 × 1000 − 4321.5
        section = primary(teaching_auxiliary_area_m2=4321.5)

        assert shortfall(section, "teaching_area_per_student", CATALOGUE) == Decimal("178.5")

    def test_does_not_round_the_missing_area(self) -> None:
        section = primary(teaching_auxiliary_area_m2=4321.3)

        missing = shortfall(section, "teaching_area_per_student", CATALOGUE)

        assert Fraction(missing) == 4500 - Fraction(4321.3)  # the float 4321.3 as sent, exactly
        assert missing == Decimal("178.6999999999998181010596454143524169921875")

    def test_gives_the_missing_junior_equipment_value(self) -> None:
        # 2500 × 1000 − 2 400 000.5
        section = junior(equipment_value_yuan=2_400_000.5)

        assert shortfall(section, "equipment_value_per_student", CATALOGUE) == Decimal("99999.5")

    def test_is_zero_when_met(self) -> None:
        section = primary()

        assert [shortfall(section, key, CATALOGUE) for key in INDICATOR_KEYS] == [Decimal(0)] * 7

    def test_is_zero_exactly_at_the_threshold(self) -> None:
        section = primary(teachers_above_required_degree=42, teaching_auxiliary_area_m2=4500.0)

        assert shortfall(section, "senior_degree_teachers_per_100", CATALOGUE) == Decimal(0)
        assert shortfall(section, "teaching_area_per_student", CATALOGUE) == Decimal(0)

    @given(
        st.sampled_from(["primary", "junior"]),
        st.integers(1, 5000),
        st.sampled_from(list(INDICATOR_KEYS)),
        st.integers(0, 500),
        st.floats(0, 1e7),
    )
    def test_is_zero_exactly_when_met_and_adding_it_meets_the_threshold(
        self, level: Level, students: int, key: str, count: int, amount: float
    ) -> None:
        spec = CATALOGUE.indicator(key)
        value: float = count if spec.counts_whole_units else amount
        base = primary() if level == "primary" else junior()
        section = replace(base, students=students, **{spec.input_field: value})

        missing = shortfall(section, key, CATALOGUE)
        met = assess([section, base], CATALOGUE).sections[0].indicators[key].met

        assert missing >= 0
        assert (missing == 0) is met
        topped_up = Fraction(value) + Fraction(missing)
        assert topped_up * spec.per_students >= Fraction(spec.thresholds[level]) * students
