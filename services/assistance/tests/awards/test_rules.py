"""Award and programme rules against hand-computed cases (domain.md §4.1, §4.3)."""

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from assistance.awards.calendar import rules as calendar_rules
from assistance.awards.notices import rules as notice_rules
from assistance.awards.publicity import rules as publicity_rules
from assistance.programmes import rules as programme_rules
from assistance.programmes.rules import Rate, Standard, Tier
from junheng_kit.logs import mask_name
from junheng_kit.problems import RuleViolated


def days(first: date, last: date) -> set[date]:
    return {first + timedelta(d) for d in range((last - first).days + 1)}


# 国办发明电〔2024〕12号, written out by hand for the test (the seeded copy is checked by the API)
CALENDAR_2025 = calendar_rules.WorkCalendar(
    holidays=frozenset(
        {date(2025, 1, 1)}
        | days(date(2025, 1, 28), date(2025, 2, 4))
        | days(date(2025, 4, 4), date(2025, 4, 6))
        | days(date(2025, 5, 1), date(2025, 5, 5))
        | days(date(2025, 5, 31), date(2025, 6, 2))
        | days(date(2025, 10, 1), date(2025, 10, 8))
    ),
    working_weekends=frozenset(
        {
            date(2025, 1, 26),
            date(2025, 2, 8),
            date(2025, 4, 27),
            date(2025, 9, 28),
            date(2025, 10, 11),
        }
    ),
    years=frozenset({2025}),
)


class TestPublicityWorkingDays:
    def test_a_batch_starting_before_national_day_2025_runs_until_13_october(self) -> None:
        # 09-30 Tue (1); 10-01..10-08 holiday; 10-09 Thu (2), 10-10 Fri (3),
        # 10-11 Sat worked by 调休 (4), 10-12 Sun off, 10-13 Mon (5)
        assert publicity_rules.publicity_end(date(2025, 9, 30), 5, CALENDAR_2025) == date(
            2025, 10, 13
        )

    def test_ending_on_10_october_is_three_working_days_and_refused(self) -> None:
        with pytest.raises(RuleViolated) as caught:
            publicity_rules.check_publicity_period(
                date(2025, 9, 30), date(2025, 10, 10), 5, CALENDAR_2025
            )
        error = caught.value.errors[0]
        assert (error.field, error.rule) == ("ends_on", "publicity_5_working_days")
        assert "has 3 working days" in error.message
        assert "earliest end 2025-10-13" in error.message

    def test_the_make_up_saturday_counts_and_the_holiday_monday_does_not(self) -> None:
        assert CALENDAR_2025.is_working_day(date(2025, 9, 28))  # Sunday, 调休
        assert not CALENDAR_2025.is_working_day(date(2025, 10, 6))  # Monday, 国庆
        assert (
            calendar_rules.working_days_between(
                date(2025, 9, 27), date(2025, 10, 12), CALENDAR_2025
            )
            == 6
        )

    def test_a_year_without_a_calendar_counts_weekends_only(self) -> None:
        empty = calendar_rules.WorkCalendar()
        # 2026-01-02 is a Friday: Fri, Mon, Tue, Wed, Thu
        assert publicity_rules.publicity_end(date(2026, 1, 2), 5, empty) == date(2026, 1, 8)
        assert empty.missing_years(date(2025, 12, 29), date(2026, 1, 8)) == [2025, 2026]

    def test_an_end_before_the_start_is_refused(self) -> None:
        with pytest.raises(RuleViolated) as caught:
            publicity_rules.check_publicity_period(
                date(2025, 3, 10), date(2025, 3, 7), 5, CALENDAR_2025
            )
        assert caught.value.errors[0].rule == "ends_after_start"


LIVING_2019 = Standard(
    id=UUID(int=2019),
    programme_code="living_subsidy",
    scope_code="",
    effective_from=date(2019, 9, 1),
    unit="per_year",
    days_per_year=None,
    rates=(
        Rate("primary", True, Decimal("1000")),
        Rate("junior", True, Decimal("1250")),
        Rate("primary", False, Decimal("500")),
        Rate("junior", False, Decimal("625")),
    ),
)
BOARDERS_ONLY = Standard(  # a hand-made earlier standard: boarders only, before autumn 2019
    id=UUID(int=2011),
    programme_code="living_subsidy",
    scope_code="",
    effective_from=date(2011, 9, 1),
    unit="per_year",
    days_per_year=None,
    rates=(Rate("primary", True, Decimal("1000")), Rate("junior", True, Decimal("1250"))),
)


class TestStandards:
    def test_a_junior_non_boarder_gets_625_and_a_primary_boarder_1000(self) -> None:
        amount = programme_rules.yearly_amount(
            LIVING_2019, level="junior", boarding=False, tier=None
        )
        assert amount == Decimal("625.00")
        assert programme_rules.yearly_amount(
            LIVING_2019, level="primary", boarding=True, tier=None
        ) == Decimal("1000.00")

    def test_spring_2019_is_priced_by_the_old_standard_and_autumn_2019_by_the_new(self) -> None:
        both = [BOARDERS_ONLY, LIVING_2019]
        spring = programme_rules.standard_in_force(
            both, county_code="150602", on=programme_rules.school_year_start(2018)
        )
        autumn = programme_rules.standard_in_force(
            both, county_code="150602", on=programme_rules.school_year_start(2019)
        )
        assert (spring, autumn) == (BOARDERS_ONLY, LIVING_2019)
        with pytest.raises(RuleViolated) as caught:  # non-boarders had no national amount yet
            programme_rules.yearly_amount(spring, level="junior", boarding=False, tier=None)
        assert caught.value.errors[0].rule == "standard_covers_pupil"

    def test_the_county_standard_beats_the_national_one_only_in_its_county(self) -> None:
        county = Standard(
            id=UUID(int=1),
            programme_code="living_subsidy",
            scope_code="150602",
            effective_from=date(2024, 9, 1),
            unit="per_year",
            days_per_year=None,
            rates=(Rate(None, None, Decimal("1500")),),
        )
        on = date(2025, 9, 1)
        assert (
            programme_rules.standard_in_force([LIVING_2019, county], county_code="150602", on=on)
            == county
        )
        assert (
            programme_rules.standard_in_force([LIVING_2019, county], county_code="150603", on=on)
            == LIVING_2019
        )

    def test_nutrition_is_5_yuan_a_day_for_200_days(self) -> None:
        nutrition = Standard(
            id=UUID(int=5),
            programme_code="nutrition_programme",
            scope_code="",
            effective_from=date(2021, 9, 1),
            unit="per_day",
            days_per_year=200,
            rates=(Rate(None, None, Decimal("5")),),
        )
        assert programme_rules.yearly_amount(
            nutrition, level="primary", boarding=False, tier=None
        ) == Decimal("1000.00")

    def test_tiers_scale_the_amount_and_default_to_the_highest(self) -> None:
        tiered = Standard(
            id=UUID(int=7),
            programme_code="living_subsidy",
            scope_code="150602",
            effective_from=date(2025, 9, 1),
            unit="per_year",
            days_per_year=None,
            rates=LIVING_2019.rates,
            tiers=(
                Tier("difficult", "困难", 2, Decimal("0.8")),
                Tier("especially_difficult", "特别困难", 1, Decimal("1")),
            ),
        )
        assert programme_rules.highest_tier(tiered) == tiered.tiers[1]
        # 625 × 0.8 = 500.00
        assert programme_rules.yearly_amount(
            tiered, level="junior", boarding=False, tier="difficult"
        ) == Decimal("500.00")
        with pytest.raises(RuleViolated) as caught:
            programme_rules.yearly_amount(tiered, level="junior", boarding=False, tier="ordinary")
        assert caught.value.errors[0].rule == "tier_known"

    def test_the_year_is_paid_half_each_semester(self) -> None:
        half = [("autumn", Decimal("0.5")), ("spring", Decimal("0.5"))]
        assert programme_rules.term_amounts(Decimal("625"), half) == {
            "autumn": Decimal("312.50"),
            "spring": Decimal("312.50"),
        }


class TestMinimisationAndPayability:
    def test_the_public_name_is_the_surname_and_a_star(self) -> None:
        assert (mask_name("张三丰"), mask_name("欧阳娜娜"), mask_name("")) == (
            "张*",
            "欧*",
            "",
        )

    def test_a_lost_category_stops_payments_only_after_the_grace_period(self) -> None:
        lost = notice_rules.NoticeState("lost", "open", None, date(2026, 12, 2))
        assert notice_rules.payment_blocker([lost], date(2026, 12, 2)) is None
        assert notice_rules.payment_blocker([lost], date(2026, 12, 3)) == lost

    def test_a_pending_or_upheld_appeal_keeps_the_award_payable(self) -> None:
        appealed = notice_rules.NoticeState("lost", "appealed", None, date(2026, 1, 1))
        upheld = notice_rules.NoticeState("lost", "resolved", "appeal_upheld", date(2026, 1, 1))
        rejected = notice_rules.NoticeState("lost", "resolved", "appeal_rejected", date(2026, 1, 1))
        assert notice_rules.payment_blocker([appealed, upheld], date(2026, 6, 1)) is None
        assert notice_rules.payment_blocker([rejected], date(2026, 6, 1)) == rejected
