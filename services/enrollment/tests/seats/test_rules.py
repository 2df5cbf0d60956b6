"""Seat rules without a database: flags, entry age, demand, pooled seats, policy in force."""

from datetime import date
from fractions import Fraction

from enrollment.seats import rules
from enrollment.seats.policy import (
    CLASS_SIZE_POLICIES,
    ENTRY_AGE_DEFAULT,
    NATIONAL_CLASS_SIZE_2017,
    ClassSizePolicy,
    class_size_policy,
    in_force,
)


class TestClassSizePolicy:
    def test_national_caps_and_thresholds(self) -> None:
        policy = class_size_policy("150602", 2026)
        assert (policy.class_cap("primary"), policy.class_cap("junior")) == (45, 50)
        assert (policy.large_class_min, policy.extra_large_class_min) == (56, 66)

    def test_flags_count_classes_over_the_cap_large_and_extra_large(self) -> None:
        flags = rules.class_flags(
            [45, 46, 55, 56, 65, 66, 70], class_cap=45, policy=NATIONAL_CLASS_SIZE_2017
        )
        # over 45: 46, 55, 56, 65, 66, 70; 大班额 56–65: 56, 65; 超大班额 ≥ 66: 66, 70
        assert (flags.over_cap, flags.large, flags.extra_large) == (6, 2, 2)

    def test_a_county_rule_beats_the_national_one_from_its_effective_date(self) -> None:
        local = ClassSizePolicy(
            version="test-local",
            scope="150602",
            effective_from=date(2027, 1, 1),
            effective_to=None,
            source="test",
            class_caps=NATIONAL_CLASS_SIZE_2017.class_caps,
            large_class_min=50,
            extra_large_class_min=60,
        )
        policies = (*CLASS_SIZE_POLICIES, local)
        assert in_force(policies, county_code="150602", on=date(2027, 9, 1)) is local
        assert (
            in_force(policies, county_code="150602", on=date(2026, 9, 1))
            is NATIONAL_CLASS_SIZE_2017
        )
        assert (
            in_force(policies, county_code="220822", on=date(2027, 9, 1))
            is NATIONAL_CLASS_SIZE_2017
        )
        assert in_force(policies, county_code="150602", on=date(2016, 9, 1)) is None


class TestEntryAge:
    def test_the_cut_off_is_31_august_inclusive(self) -> None:
        assert ENTRY_AGE_DEFAULT.entry_year(2013, 8) == 2019
        assert ENTRY_AGE_DEFAULT.entry_year(2013, 9) == 2020

    def test_grade_1_demand_splits_a_birth_year_eight_twelfths_and_four_twelfths(self) -> None:
        births = [
            rules.BirthCount("P01", 2019, None, 120),
            rules.BirthCount("P01", 2018, None, 90),
            rules.BirthCount("P01", 2017, None, 999),  # entered in 2023 and 2024
            rules.BirthCount("P02", 2019, None, 30),
        ]
        demand = rules.grade1_demand(births, year=2025, policy=ENTRY_AGE_DEFAULT)
        # 2025 entrants: born Sep 2018 – Aug 2019 = 4/12 × 90 + 8/12 × 120 = 30 + 80 = 110
        assert demand["P01"].demand == Fraction(110)
        assert demand["P01"].complete is True
        # P02 has no 2018 count: 8/12 × 30 = 20, and the year is incomplete
        assert demand["P02"].demand == Fraction(20)
        assert demand["P02"].complete is False

    def test_counts_by_birth_month_fall_on_one_side_of_the_cut_off(self) -> None:
        births = [
            rules.BirthCount("P01", 2019, 8, 10),  # → 2025
            rules.BirthCount("P01", 2019, 9, 7),  # → 2026
            rules.BirthCount("P01", 2018, 9, 5),  # → 2025
            rules.BirthCount("P01", 2018, 8, 3),  # → 2024
        ]
        demand = rules.grade1_demand(births, year=2025, policy=ENTRY_AGE_DEFAULT)
        assert demand["P01"].demand == Fraction(15)


class TestGrade7Demand:
    def test_each_primary_grade_reaches_grade_7_in_its_year(self) -> None:
        grades = [rules.GradeCount("J01", 6, 410), rules.GradeCount("J01", 5, 380)]
        assert rules.grade7_demand(grades, base_year=2026, year=2027)["J01"].demand == 410
        assert rules.grade7_demand(grades, base_year=2026, year=2028)["J01"].demand == 380
        third = rules.grade7_demand(grades, base_year=2026, year=2029)["J01"]
        assert (third.demand, third.complete) == (0, False)


class TestZoneSeats:
    def test_a_multi_school_zone_pools_and_a_shared_school_is_split(self) -> None:
        seats = rules.zone_seats(
            {"P01": ["A"], "P02": ["B", "C"], "P03": ["C"]},
            {"A": 90, "B": 135, "C": 45},
        )
        # C is listed by P02 and P03: 22.5 seats each
        assert seats == {"P01": 90, "P02": Fraction(315, 2), "P03": Fraction(45, 2)}

    def test_whole_children_against_whole_seats(self) -> None:
        row = rules.zone_year("P03", 2027, rules.ZoneDemand(Fraction(67, 3), True), Fraction(45, 2))
        # 22⅓ children → 23; 22½ seats → 22: short by one
        assert (row.demand, row.seats, row.balance, row.is_short) == (23, 22, -1, True)

    def test_migrant_children_add_to_the_rounded_local_demand(self) -> None:
        row = rules.zone_year(
            "P03", 2027, rules.ZoneDemand(Fraction(67, 3), True), Fraction(45, 2), migrants=4
        )
        # local 22⅓ → 23, plus 4 migrant children = 27 against 22 seats
        assert (row.local_demand, row.migrant_demand, row.demand) == (23, 4, 27)
        assert (row.balance, row.is_short) == (-5, True)


class TestMigrantDemand:
    def test_counts_applications_by_home_zone_and_skips_homes_outside_every_zone(self) -> None:
        homes = ["P02", "P01", "P02", None, "P02"]
        assert rules.migrant_demand(homes) == {"P01": 1, "P02": 3}

    def test_no_applications_no_migrant_demand(self) -> None:
        assert rules.migrant_demand([]) == {}


class TestLevels:
    def test_which_schools_admit_into_a_level(self) -> None:
        assert rules.offers_level(["nine_year"], "junior") is True
        assert rules.offers_level(["complete_secondary"], "primary") is False
        assert rules.offers_level(["primary"], "junior") is False
