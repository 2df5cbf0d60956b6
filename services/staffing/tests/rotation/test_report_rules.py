"""交流轮岗 report rules: adherence of an execution to its plan, rural service, titles."""

from decimal import Decimal

from staffing.rotation.reports.rules import (
    MoveRecord,
    adherence,
    rural_service_check,
    title_structure,
)

from .instance import PARAMETERS


class TestAdherence:
    def test_a_deviating_execution_is_reported_move_by_move(self) -> None:
        report = adherence(
            planned=[
                MoveRecord("T1", "U", "R2", is_backbone=True),
                MoveRecord("T2", "U", "R1"),
            ],
            executed=[
                MoveRecord("T1", "U", "R2", is_backbone=True),
                MoveRecord("T2", "U", "R2"),
                MoveRecord("T3", "U", "R1"),
            ],
            eligible=3,
            free_posts={"U": 0, "R1": 1, "R2": 1},
            parameters=PARAMETERS,
        )

        assert (report.planned, report.executed, report.as_planned) == (2, 3, 1)
        assert report.adherence_rate == Decimal("0.5000")
        assert [(d.teacher_id, d.kind, d.planned_to, d.executed_to) for d in report.deviations] == [
            ("T2", "other_school", "R1", "R2"),
            ("T3", "unplanned", None, "R1"),
        ]
        assert [(b.school_code, b.net_arrivals, b.free_posts) for b in report.quota_breaches] == [
            ("R2", 2, 1)
        ]
        assert report.shortfalls == ()

    def test_an_execution_without_backbone_misses_the_20_percent_rule(self) -> None:
        report = adherence(
            planned=[MoveRecord("T1", "U", "R2", is_backbone=True)],
            executed=[MoveRecord("T3", "U", "R2")],
            eligible=3,
            free_posts={"R2": 1},
            parameters=PARAMETERS,
        )

        assert [(s.rule, s.required, s.planned) for s in report.shortfalls] == [
            ("rotation_backbone_min_share", 1, 0)
        ]


class TestRuralServiceAndTitles:
    def test_one_year_of_rural_service_is_365_days(self) -> None:
        assert rural_service_check(365, Decimal(1), Decimal(3)).senior_title_eligible is True
        assert rural_service_check(364, Decimal(1), Decimal(3)).senior_title_eligible is False

    def test_three_years_give_principal_priority(self) -> None:
        check = rural_service_check(1095, Decimal(1), Decimal(3))

        assert (check.rural_service_years, check.principal_priority) == (Decimal("3.00"), True)

    def test_without_the_county_parameter_eligibility_is_unknown(self) -> None:
        assert rural_service_check(2000, None, None).senior_title_eligible is None

    def test_four_senior_of_ten_is_over_a_3_4_3_target(self) -> None:
        structure = title_structure(
            {"senior": 4, "intermediate": 4, "junior": 2},
            (Decimal(3), Decimal(4), Decimal(3)),
        )

        assert structure.target_counts == {
            "senior": Decimal("3.00"),
            "intermediate": Decimal("4.00"),
            "junior": Decimal("3.00"),
        }
        assert structure.over_target == ("senior",)
        assert structure.shares["senior"] == Decimal("0.4000")
