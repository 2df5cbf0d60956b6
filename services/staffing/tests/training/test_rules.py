"""教师5年360学时, hand-computed. Source: 教督〔2017〕6号 政府保障程度第9项
"教师5年360学时培训完成率达到100%" (domain.md §3.4: "Training hours | 360 h per 5 years, 100%
completion | NAT govt item 9, SEC"; §5.4 item 9). No seed file holds the item: seeds 000–004
name teacher training but no hours. The window is the five years up to the day judged; hours
count on the day the training was completed."""

from datetime import date
from decimal import Decimal

from staffing.policy.parameters import PolicyBook
from staffing.training.repository import requirement_of
from staffing.training.rules import (
    Credit,
    TrainingRequirement,
    hours_in_window,
    meets,
    record_errors,
    window_from,
    years_before,
)

NATIONAL = TrainingRequirement(360, 5, "教督〔2017〕6号 政府保障程度第9项")


def yearly(hours: str, *years: int) -> list[Credit]:
    """One training a year, each completed on 30 June."""
    return [Credit(date(year, 6, 30), Decimal(hours)) for year in years]


class TestWindow:
    def test_five_years_up_to_31_august_start_on_1_september(self) -> None:
        assert window_from(date(2025, 8, 31), 5) == date(2020, 9, 1)

    def test_29_february_counts_back_to_28_february(self) -> None:
        assert years_before(date(2024, 2, 29), 5) == date(2019, 2, 28)
        assert window_from(date(2024, 2, 29), 5) == date(2019, 3, 1)


class TestHours:
    def test_72_hours_a_year_for_five_years_is_360_and_meets_it(self) -> None:
        """ "教师5年360学时": 72 × 5 = 360 ≥ 360 (达到 N: at least N)."""
        credits = yearly("72", 2021, 2022, 2023, 2024, 2025)
        hours = hours_in_window(credits, on=date(2025, 8, 31), years=5)
        assert hours == Decimal(360)
        assert meets(hours, NATIONAL) is True

    def test_359_hours_do_not_meet_it(self) -> None:
        credits = [*yearly("72", 2021, 2022, 2023, 2024), Credit(date(2025, 6, 30), Decimal(71))]
        hours = hours_in_window(credits, on=date(2025, 8, 31), years=5)
        assert hours == Decimal(359)
        assert meets(hours, NATIONAL) is False

    def test_359_and_a_half_hours_do_not_meet_it(self) -> None:
        credits = [Credit(date(2025, 6, 30), Decimal("359.5"))]
        assert meets(hours_in_window(credits, on=date(2025, 8, 31), years=5), NATIONAL) is False

    def test_hours_older_than_five_years_drop_out(self) -> None:
        """On 2026-06-29 the window starts 2021-06-30 and holds all five trainings (360 h); on
        2026-06-30 it starts 2021-07-01: the 2021-06-30 training (72 h) has left it, 4 × 72 =
        288 remain, and the teacher no longer meets 360."""
        credits = yearly("72", 2021, 2022, 2023, 2024, 2025)
        assert hours_in_window(credits, on=date(2026, 6, 29), years=5) == Decimal(360)
        hours = hours_in_window(credits, on=date(2026, 6, 30), years=5)
        assert hours == Decimal(288)
        assert meets(hours, NATIONAL) is False

    def test_a_training_completed_after_the_day_judged_does_not_count_yet(self) -> None:
        credits = yearly("72", 2021, 2022, 2023, 2024, 2025)
        assert hours_in_window(credits, on=date(2025, 6, 29), years=5) == Decimal(288)


class TestRequirement:
    def test_the_national_rows_give_360_hours_in_5_years_with_their_source(self) -> None:
        requirement = requirement_of(PolicyBook.with_overrides(), "150602", date(2025, 9, 1))
        assert requirement is not None
        assert (requirement.required_hours, requirement.window_years) == (360, 5)
        assert requirement.source.startswith("教督〔2017〕6号 政府保障程度第9项：教师5年360学时")

    def test_before_the_2017_measures_no_requirement_is_in_force(self) -> None:
        assert requirement_of(PolicyBook.with_overrides(), "150602", date(2017, 4, 25)) is None


class TestRecordChecks:
    HIRED = date(2008, 9, 1)
    TODAY = date(2026, 12, 6)

    def errors(self, **changes: object) -> list[str]:
        values: dict[str, object] = {
            "hours": Decimal(72),
            "started_on": date(2024, 7, 8),
            "completed_on": date(2024, 7, 19),
            "hire_date": self.HIRED,
            "today": self.TODAY,
        }
        values.update(changes)
        return [e.rule for e in record_errors(**values)]  # type: ignore[arg-type]

    def test_a_twelve_day_training_of_72_hours_passes(self) -> None:
        assert self.errors() == []

    def test_a_completion_after_today_is_named(self) -> None:
        assert self.errors(completed_on=date(2026, 12, 7), started_on=None) == [
            "training_completed_not_in_future"
        ]

    def test_a_completion_before_the_teacher_was_hired_is_named(self) -> None:
        assert self.errors(completed_on=date(2008, 8, 31), started_on=None) == [
            "training_after_hire"
        ]

    def test_a_start_after_the_completion_is_named(self) -> None:
        assert self.errors(started_on=date(2024, 7, 20)) == ["training_period_order"]

    def test_more_hours_than_the_period_holds_are_named(self) -> None:
        # one day holds at most 24 hours: 24 passes, 24.5 does not
        one_day = {"started_on": date(2024, 7, 19), "completed_on": date(2024, 7, 19)}
        assert self.errors(hours=Decimal(24), **one_day) == []
        assert self.errors(hours=Decimal("24.5"), **one_day) == ["training_hours_within_period"]
