"""班额 from seat plans (domain.md §2.5, §5.4 item 5), hand-computed."""

from datetime import UTC, datetime
from decimal import Decimal

from evaluation.seats.rules import PlanFigures, class_size

CAPS = {"primary": Decimal(45), "junior": Decimal(50)}
AT = datetime(2025, 6, 1, tzinfo=UTC)


def plan(school: str, level: str, classes: int, cap: int, seats: int) -> PlanFigures:
    return PlanFigures(school, level, classes, cap, seats, f"ev-{school}", 1, AT)


class TestClassSize:
    def test_a_primary_plan_over_the_cap_needs_classes_and_has_pupils_over(self) -> None:
        # 4 classes of 48 = 192 seats: largest class 48 > 45; ceil(192 / 45) = 5 classes are
        # needed (1 more), and 192 − 4 × 45 = 12 pupils are over the cap
        measure = class_size(
            [plan("2115060001", "primary", 4, 48, 192), plan("3115060001", "junior", 6, 50, 300)],
            CAPS,
        )

        assert measure.measured == {
            "largest_primary_class": Decimal(48),
            "largest_junior_class": Decimal(50),
        }
        assert [(s.school_code, s.classes_missing, s.pupils_over) for s in measure.over_cap] == [
            ("2115060001", 1, 12)
        ]
        assert (
            measure.over_cap[0].source
            == f"enrollment seats event ev-2115060001 v1 at {AT.isoformat()}"
        )

    def test_uneven_seats_make_the_largest_class_round_up(self) -> None:
        # 91 seats in 2 classes: one class of 46 > 45; ceil(91 / 45) − 2 = 1 class, 1 pupil over
        measure = class_size([plan("2115060002", "primary", 2, 46, 91)], CAPS)

        assert measure.measured == {"largest_primary_class": Decimal(46)}
        assert (measure.over_cap[0].classes_missing, measure.over_cap[0].pupils_over) == (1, 1)

    def test_a_plan_without_classes_measures_nothing(self) -> None:
        measure = class_size([plan("2115060003", "primary", 0, 45, 0)], CAPS)

        assert measure.measured == {}
        assert measure.over_cap == []
        assert [p.school_code for p in measure.plans] == ["2115060003"]  # still cited

    def test_classes_exactly_at_the_cap_are_not_over(self) -> None:
        measure = class_size([plan("2115060004", "primary", 3, 45, 135)], CAPS)

        assert measure.measured == {"largest_primary_class": Decimal(45)}
        assert measure.over_cap == []
