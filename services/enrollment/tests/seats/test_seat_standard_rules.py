"""学位配置标准 without a database: seats per resident population, the level's seats in all
grades, and which standard is in force (seed 000, seed 002; domain.md §2.5)."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrollment.seats import policy, rules
from enrollment.seats.policy import SeatStandardPolicy, in_force


def standard(scope: str, per_1000: str, start: date, end: date | None = None) -> SeatStandardPolicy:
    return SeatStandardPolicy(
        version=f"{scope}/primary/{start}#1",
        scope=scope,
        effective_from=start,
        effective_to=end,
        source="test",
        level="primary",
        seats_per_1000=Decimal(per_1000),
    )


class TestStandardSeats:
    def test_23400_residents_at_95_per_1000_need_2223_seats(self) -> None:
        """Seed 002 (教基厅函〔2021〕43号, line 25, garbled in the file as "出台以常住东说念主口为
        基数的城镇义务教会学位建树圭臬"): "出台以常住人口为基数的城镇义务教育学位配置标准" — the
        standard takes resident population as its base. Seed 000: "自治区制定城镇义务教育学位
        配置标准" — the region sets it, with no value. 23,400 × 95 ÷ 1,000 = 2,223 exactly."""
        assert rules.standard_seats(23_400, Decimal("95")) == 2_223

    def test_a_part_seat_the_standard_asks_for_is_rounded_up(self) -> None:
        # 23,401 × 95 ÷ 1,000 = 2,223.095 → 2,224
        assert rules.standard_seats(23_401, Decimal("95")) == 2_224

    def test_a_fractional_standard_is_applied_exactly(self) -> None:
        # 12,345 × 47.5 ÷ 1,000 = 586.3875 → 587; 1,000 × 0.001 ÷ 1,000 = 0.001 → 1
        assert rules.standard_seats(12_345, Decimal("47.5")) == 587
        assert rules.standard_seats(1_000, Decimal("0.001")) == 1

    def test_a_zone_without_residents_needs_no_seats(self) -> None:
        assert rules.standard_seats(0, Decimal("95")) == 0

    @given(st.integers(0, 10_000_000), st.decimals("0.001", "1000", places=3))
    def test_the_seats_are_the_least_whole_number_covering_the_standard(
        self, residents: int, per_1000: Decimal
    ) -> None:
        seats = rules.standard_seats(residents, per_1000)
        wanted = Fraction(residents) * Fraction(per_1000) / 1000
        assert seats - 1 < wanted <= seats


class TestZoneYearStandard:
    def test_the_gap_is_the_standard_against_the_levels_seats_in_all_grades(self) -> None:
        row = rules.zone_year(
            "P01",
            2027,
            None,
            Fraction(90),
            residents=23_400,
            seats_per_1000=Decimal("95"),
            level=rules.LevelSeats(Fraction(1_620), True),
        )
        assert (row.standard_seats, row.level_seats, row.standard_gap) == (2_223, 1_620, 603)
        assert (row.seats, row.standard_missing, row.level_seats_complete) == (90, (), True)

    def test_without_population_or_standard_there_is_no_number_and_a_reason(self) -> None:
        no_population = rules.zone_year("P01", 2027, None, Fraction(90), seats_per_1000=Decimal(95))
        no_standard = rules.zone_year("P01", 2027, None, Fraction(90), residents=23_400)
        neither = rules.zone_year("P01", 2027, None, Fraction(90))
        assert (no_population.standard_seats, no_population.standard_gap) == (None, None)
        assert no_population.standard_missing == ("resident_population",)
        assert (no_standard.standard_seats, no_standard.standard_gap) == (None, None)
        assert no_standard.standard_missing == ("seat_standard",)
        assert neither.standard_missing == ("resident_population", "seat_standard")


ZONES = {"P01": ["S1"], "P02": ["S2", "S3"], "P03": ["S1", "S3"]}


class TestLevelSeats:
    def test_a_primary_zone_holds_the_entry_seats_of_six_cohorts(self) -> None:
        # S1 planned 90 seats a year, S2 45, S3 45 from 2022 to 2027. S1 is in P01 and P03
        # (half each), S3 in P02 and P03. 2027, primary: entry years 2022 … 2027.
        by_year = {y: {"S1": 90, "S2": 45, "S3": 45} for y in range(2022, 2028)}
        seats = rules.level_seats(ZONES, by_year, year=2027, grades=6)
        # P01: 6 × 45 = 270; P02: 6 × (45 + 22.5) = 405; P03: 6 × (45 + 22.5) = 405
        assert {z: (s.seats, s.complete) for z, s in seats.items()} == {
            "P01": (Fraction(270), True),
            "P02": (Fraction(405), True),
            "P03": (Fraction(405), True),
        }

    def test_a_junior_zone_holds_three_cohorts(self) -> None:
        by_year = {2025: {"J1": 400}, 2026: {"J1": 400}, 2027: {"J1": 450}}
        seats = rules.level_seats({"J01": ["J1"]}, by_year, year=2027, grades=3)
        assert (seats["J01"].seats, seats["J01"].complete) == (Fraction(1_250), True)

    def test_an_entry_year_without_a_plan_counts_nothing_and_marks_the_zone(self) -> None:
        by_year = {2026: {"S1": 90}, 2027: {"S1": 90, "S2": 45}}
        seats = rules.level_seats({"P01": ["S1"], "P02": ["S2"]}, by_year, year=2027, grades=6)
        assert (seats["P01"].seats, seats["P01"].complete) == (Fraction(180), False)
        assert (seats["P02"].seats, seats["P02"].complete) == (Fraction(45), False)

    def test_the_grades_of_each_level(self) -> None:
        """Primary grades 1–6 (domain.md §2.1), junior grades 7–9 (§5.5: junior three-year
        retention against the grade-7 intake three years earlier)."""
        assert rules.LEVEL_GRADES == {"primary": 6, "junior": 3}


class TestStandardInForce:
    REGION = standard("15", "95", date(2022, 1, 1))
    COUNTY = standard("150602", "100", date(2026, 3, 1), date(2028, 9, 1))

    def test_no_standard_is_built_in(self) -> None:
        """No source gives a value (domain.md §2.5: "value not given"), so none is coded."""
        assert not [v for v in vars(policy).values() if isinstance(v, SeatStandardPolicy)]

    @pytest.mark.parametrize(
        ("on", "expected"),
        [
            (date(2021, 9, 1), None),  # before any standard
            (date(2025, 9, 1), "15"),  # the region's, for every county in it
            (date(2026, 9, 1), "150602"),  # the county's own is more specific
            (date(2028, 8, 31), "150602"),
            (date(2028, 9, 1), "15"),  # effective_to is exclusive: the region's again
        ],
    )
    def test_the_most_specific_scope_in_force_wins(self, on: date, expected: str | None) -> None:
        chosen = in_force([self.REGION, self.COUNTY], county_code="150602", on=on)
        assert (chosen.scope if chosen else None) == expected

    def test_another_countys_standard_does_not_apply(self) -> None:
        chosen = in_force([self.REGION, self.COUNTY], county_code="150603", on=date(2026, 9, 1))
        assert chosen is self.REGION
