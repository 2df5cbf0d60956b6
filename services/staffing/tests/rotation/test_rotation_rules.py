"""交流轮岗 rules: the pool, the optimised plan on an instance solved by hand, adherence, titles."""

import ast
import inspect
import random
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from junheng_kit.problems import RuleViolated
from staffing.rotation import rules
from staffing.rotation.rules import (
    FixedMove,
    MoveRecord,
    RotationParameters,
    RotationSchool,
    RotationTeacher,
    SectionState,
    adherence,
    eligible_pool,
    generate_plan,
    rural_service_check,
    title_structure,
)

ON = date(2025, 9, 1)
THRESHOLDS = {
    (key, section): Decimal(value)
    for section in ("primary", "junior")
    for key, value in zip(
        rules.INDICATORS,
        ("4.2", "1", "0.9") if section == "primary" else ("5.3", "1", "0.9"),
        strict=True,
    )
}
PARAMETERS = RotationParameters(
    min_share=Decimal("0.10"),
    backbone_min_share=Decimal("0.20"),
    backbone_denominator="rotated",
    trigger_years=6,
    retirement_window_years=5,
    max_distance_km=None,
    thresholds=THRESHOLDS,
    target_count=2,
)


def teacher(
    teacher_id: str,
    school: str = "U",
    *,
    joined: date = date(2015, 9, 1),
    retires: date | None = date(2045, 1, 1),
    degree: bool = False,
    backbone: bool = False,
    pe_arts: bool = False,
    subject: str = "chinese",
    in_quota: bool = True,
) -> RotationTeacher:
    return RotationTeacher(
        teacher_id=teacher_id,
        school_code=school,
        section="primary",
        subject=subject,
        school_joined_on=joined,
        retires_on=retires,
        is_in_quota=in_quota,
        is_full_time=True,
        is_backbone=backbone,
        above_required_degree=degree,
        is_pe_arts=pe_arts,
    )


def school(
    code: str, area: rules.Area, pupils: int, counts: tuple[int, int, int], free: int,
    lon: float = 110.0, lat: float = 39.8,
) -> RotationSchool:  # fmt: skip
    return RotationSchool(code, area, lon, lat, free, {"primary": SectionState(pupils, counts)})


# U: urban, 500 pupils, 6 / 2 / 1 per 100. R1: rural, 100 pupils, 3 / 0 / 0. R2: rural, 200
# pupils, 4 / 1 / 1. One free post at each rural school.
SCHOOLS = [
    school("U", "urban", 500, (30, 10, 5), 0),
    school("R1", "rural", 100, (3, 0, 0), 1),
    school("R2", "rural", 200, (8, 2, 2), 1),
]
# Gains (module docstring): weight = (100 / pupils) / threshold × (0.01 + gap).
#   R1: degree 1/4.2 × (0.01 + 1.2/4.2) = 0.07041, backbone 1 × 1.01, PE/arts 1/0.9 × 1.01.
#   R2: degree 0.5/4.2 × (0.01 + 0.2/4.2) = 0.00686, backbone 0.5 × 0.01, PE/arts 0.5/0.9 × 0.01.
# T1 (backbone): R1 1.01000, R2 0.00500. T2 (degree + PE): R1 1.19263, R2 0.01241.
# T3 (degree): R1 0.07041, R2 0.00686.
# Two moves, one per rural school. Best pairs: T2→R1 + T3→R2 = 1.19949 (no backbone teacher),
# T2→R1 + T1→R2 = 1.19763, T1→R1 + T2→R2 = 1.02241, T1→R1 + T3→R2 = 1.01686.
TEACHERS = [
    teacher("T1", backbone=True),
    teacher("T2", degree=True, pe_arts=True, subject="pe"),
    teacher("T3", degree=True),
    teacher("N1", "R1", joined=date(2022, 9, 1)),  # 3 years: not in the pool
]


def moves(plan: rules.Plan) -> set[tuple[str, str]]:
    return {(m.teacher_id, m.to_school) for m in plan.moves}


class TestPool:
    def test_six_years_at_the_school_and_five_years_before_retirement(self) -> None:
        pool = eligible_pool(
            [
                teacher("a", joined=date(2019, 9, 1)),  # exactly 6 years on 2025-09-01
                teacher("b", joined=date(2019, 9, 2)),  # one day short
                teacher("c", retires=date(2030, 8, 31)),  # under 5 years left
                teacher("d", retires=date(2030, 9, 1)),  # exactly 5 years left
                teacher("e", in_quota=False),
            ],
            PARAMETERS,
            ON,
        )

        assert [t.teacher_id for t in pool.eligible] == ["a", "d"]
        assert pool.excluded == {
            "under_trigger_years": 1,
            "near_retirement": 1,
            "not_in_quota_full_time": 1,
        }

    def test_required_count_is_ten_percent_of_eligible_rounded_up(self) -> None:
        assert (rules.ceil_share(Decimal("0.10"), 25), rules.ceil_share(Decimal("0.10"), 30)) == (
            3,
            3,
        )


class TestPlan:
    def test_the_backbone_rule_picks_the_second_best_pair(self) -> None:
        plan = generate_plan(teachers=TEACHERS, schools=SCHOOLS, parameters=PARAMETERS, on=ON)

        assert moves(plan) == {("T2", "R1"), ("T1", "R2")}
        assert plan.objective == pytest.approx(1.19763, abs=1e-5)
        assert (plan.eligible, plan.required_rotated, plan.rotated, plan.backbone_rotated) == (
            3,
            1,
            2,
            1,
        )
        assert plan.shortfalls == ()

    def test_without_the_backbone_rule_the_best_pair_wins(self) -> None:
        parameters = replace(PARAMETERS, backbone_min_share=Decimal(0))
        plan = generate_plan(teachers=TEACHERS, schools=SCHOOLS, parameters=parameters, on=ON)

        assert moves(plan) == {("T2", "R1"), ("T3", "R2")}
        assert plan.objective == pytest.approx(1.19949, abs=1e-5)

    def test_each_move_says_what_it_changes_at_the_receiving_school(self) -> None:
        plan = generate_plan(teachers=TEACHERS, schools=SCHOOLS, parameters=PARAMETERS, on=ON)
        to_r1 = next(m for m in plan.moves if m.to_school == "R1")

        assert to_r1.why.direction == "urban→rural"
        assert to_r1.why.adds == ("senior_degree_teachers_per_100", "pe_arts_teachers_per_100")
        assert [(c.key, c.before, c.after) for c in to_r1.why.receiving_indicators] == [
            ("senior_degree_teachers_per_100", Decimal("3.0000"), Decimal("4.0000")),
            ("backbone_teachers_per_100", Decimal("0.0000"), Decimal("0.0000")),
            ("pe_arts_teachers_per_100", Decimal("0.0000"), Decimal("1.0000")),
        ]
        # U loses T2 and T1: degree 30 → 29, backbone 10 → 9, PE 5 → 4 per 500 pupils
        assert [c.after for c in to_r1.why.sending_indicators] == [
            Decimal("5.8000"),
            Decimal("1.8000"),
            Decimal("0.8000"),
        ]

    def test_a_distance_limit_keeps_teachers_from_a_far_school(self) -> None:
        far = [SCHOOLS[0], replace(SCHOOLS[1], longitude=111.5), SCHOOLS[2]]  # ~128 km east
        parameters = replace(PARAMETERS, max_distance_km=Decimal(50))
        plan = generate_plan(teachers=TEACHERS, schools=far, parameters=parameters, on=ON)

        # only R2 (one free post) is in reach; one move, and it must be the backbone teacher
        assert moves(plan) == {("T1", "R2")}
        assert plan.shortfalls == ()

    def test_direction_forbids_moving_to_a_stronger_school_of_the_same_area(self) -> None:
        schools = [
            school("U", "urban", 500, (30, 10, 5), 0),
            school("V", "urban", 500, (40, 10, 5), 3),  # stronger, same area
        ]
        plan = generate_plan(teachers=TEACHERS[:3], schools=schools, parameters=PARAMETERS, on=ON)

        assert plan.moves == ()
        assert [s.rule for s in plan.shortfalls] == ["rotation_min_share"]

    def test_subject_needs_limit_who_a_school_receives(self) -> None:
        plan = generate_plan(
            teachers=TEACHERS,
            schools=SCHOOLS,
            parameters=replace(PARAMETERS, backbone_min_share=Decimal(0)),
            on=ON,
            subject_needs={"R1": {"chinese": 1}, "R2": {"chinese": 1}},
        )

        assert moves(plan) == {("T1", "R1"), ("T3", "R2")}

    def test_too_few_free_posts_is_a_shortfall_with_its_reason(self) -> None:
        staff = [teacher(f"T{i}", degree=True, backbone=i < 5) for i in range(30)]
        plan = generate_plan(
            teachers=staff,
            schools=[SCHOOLS[0], SCHOOLS[1], replace(SCHOOLS[2], free_posts=0)],
            parameters=replace(PARAMETERS, target_count=None),
            on=ON,
        )

        assert plan.rotated == 1
        assert [(s.rule, s.required, s.planned) for s in plan.shortfalls] == [
            ("rotation_min_share", 3, 1)
        ]
        assert plan.shortfalls[0].reason.endswith("receiving schools have 1 free approved posts")

    def test_no_backbone_teacher_eligible_is_a_backbone_shortfall(self) -> None:
        plan = generate_plan(
            teachers=[t for t in TEACHERS if t.teacher_id != "T1"],
            schools=SCHOOLS,
            parameters=PARAMETERS,
            on=ON,
        )

        assert [(s.rule, s.required, s.planned) for s in plan.shortfalls] == [
            ("rotation_backbone_min_share", 1, 0)
        ]


class TestFixedMoves:
    def test_a_fixed_move_into_a_school_without_free_posts_is_refused(self) -> None:
        schools = [SCHOOLS[0], replace(SCHOOLS[1], free_posts=0), SCHOOLS[2]]
        with pytest.raises(RuleViolated) as caught:
            generate_plan(
                teachers=TEACHERS,
                schools=schools,
                parameters=PARAMETERS,
                on=ON,
                fixed_moves=[FixedMove("T3", "R1")],
            )
        assert [(e.field, e.rule) for e in caught.value.errors] == [
            ("fixed_moves", "staff_quota_headroom")
        ]

    def test_a_pooled_fixed_move_with_its_approval_is_planned(self) -> None:
        schools = [SCHOOLS[0], replace(SCHOOLS[1], free_posts=0), SCHOOLS[2]]
        plan = generate_plan(
            teachers=TEACHERS,
            schools=schools,
            parameters=PARAMETERS,
            on=ON,
            fixed_moves=[FixedMove("T3", "R1", pooled=True, pooling_reference="东教发〔2025〕7号")],
        )

        assert moves(plan) == {("T3", "R1"), ("T1", "R2")}
        pooled = next(m for m in plan.moves if m.teacher_id == "T3")
        assert (pooled.fixed, pooled.pooled, pooled.why.direction) == (
            True,
            True,
            "fixed by the bureau",
        )

    def test_a_pooled_move_names_its_approval(self) -> None:
        with pytest.raises(RuleViolated) as caught:
            generate_plan(
                teachers=TEACHERS,
                schools=SCHOOLS,
                parameters=PARAMETERS,
                on=ON,
                fixed_moves=[FixedMove("T3", "R1", pooled=True)],
            )
        assert caught.value.errors[0].rule == "pooling_approval_required"

    def test_a_teacher_outside_the_pool_cannot_be_fixed(self) -> None:
        with pytest.raises(RuleViolated) as caught:
            generate_plan(
                teachers=TEACHERS,
                schools=SCHOOLS,
                parameters=PARAMETERS,
                on=ON,
                fixed_moves=[FixedMove("N1", "R2"), FixedMove("X9", "R2")],
            )
        assert [e.rule for e in caught.value.errors] == ["rotation_eligible", "teacher_in_county"]


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


def test_rules_import_no_database_web_or_bus_library() -> None:
    tree = ast.parse(inspect.getsource(rules))
    imported = {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    } | {
        a.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for a in node.names
    }

    assert imported & {"sqlalchemy", "fastapi", "httpx", "nats", "starlette"} == set()


class TestCandidateSchools:
    def test_the_narrowed_search_reaches_the_full_models_optimum(self) -> None:
        rng = random.Random(7)
        schools = [
            school(
                f"S{s:02d}",
                ("urban", "county_town", "rural")[s % 3],
                rng.randint(60, 900),
                (rng.randint(2, 30), rng.randint(0, 6), rng.randint(0, 5)),
                rng.randint(0, 4),
                lon=110 + rng.uniform(0, 0.4),
            )
            for s in range(20)
        ]
        staff = [
            teacher(
                f"T{i}",
                f"S{rng.randrange(20):02d}",
                joined=date(rng.randint(2008, 2024), 9, 1),
                degree=rng.random() < 0.6,
                backbone=rng.random() < 0.2,
                pe_arts=rng.random() < 0.2,
            )
            for i in range(400)
        ]
        parameters = replace(PARAMETERS, target_count=None)

        narrow = generate_plan(
            teachers=staff, schools=schools, parameters=parameters, on=ON, candidate_schools=2
        )
        full = generate_plan(
            teachers=staff, schools=schools, parameters=parameters, on=ON, candidate_schools=20
        )

        eligible = sum(t.school_joined_on <= date(2019, 9, 1) for t in staff)
        assert narrow.rotated == full.rotated == -(-eligible // 10)  # ceil(10 % of eligible)
        assert narrow.optimality_gap <= rules.OPTIMALITY_GAP
        assert narrow.objective == pytest.approx(full.objective, rel=rules.OPTIMALITY_GAP)
