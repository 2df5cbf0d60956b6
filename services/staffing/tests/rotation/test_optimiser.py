"""交流轮岗 plan: the optimised moves on an instance solved by hand, the bureau's fixed moves,
the narrowed search against the full model."""

import random
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from junheng_kit.problems import RuleViolated
from staffing.rotation.optimiser.model import OPTIMALITY_GAP
from staffing.rotation.optimiser.plan import Plan
from staffing.rotation.optimiser.rules import generate_plan
from staffing.rotation.rules import FixedMove

from .instance import ON, PARAMETERS, SCHOOLS, TEACHERS, school, teacher


def moves(plan: Plan) -> set[tuple[str, str]]:
    return {(m.teacher_id, m.to_school) for m in plan.moves}


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


class TestPriority:
    """Seed 000: "原则上在同一学校连续任教达到6年的校长和优秀骨干教师应优先进行交流轮岗" — an order
    among the eligible, never a refusal."""

    PARAMETERS = replace(
        PARAMETERS, trigger_years=3, priority_years=6, backbone_min_share=Decimal(0), target_count=1
    )
    U_AND_R1 = (SCHOOLS[0], SCHOOLS[1])  # R1: one free post

    def test_of_two_interchangeable_teachers_the_principal_with_seven_years_moves(self) -> None:
        # same school, section and indicators: one group. Longest-first alone would send the
        # teacher of 15 years; the principal of 7 years (≥ 6) goes first
        staff = [
            teacher("L", joined=date(2010, 9, 1), degree=True),
            teacher("P", joined=date(2018, 9, 1), degree=True, principal=True),
        ]
        plan = generate_plan(
            teachers=staff, schools=self.U_AND_R1, parameters=self.PARAMETERS, on=ON
        )

        assert moves(plan) == {("P", "R1")}
        assert [m.is_priority for m in plan.moves] == [True]
        assert (plan.priority_pool, plan.priority_moved, plan.priority_exceptions) == (1, 1, ())

    def test_without_a_priority_rule_the_longest_at_the_school_moves(self) -> None:
        staff = [
            teacher("L", joined=date(2010, 9, 1), degree=True),
            teacher("P", joined=date(2018, 9, 1), degree=True, principal=True),
        ]
        parameters = replace(self.PARAMETERS, priority_years=None)
        plan = generate_plan(teachers=staff, schools=self.U_AND_R1, parameters=parameters, on=ON)

        assert moves(plan) == {("L", "R1")}
        assert plan.priority_pool == 0

    def test_a_younger_backbone_teacher_moving_first_is_a_warning_not_a_refusal(self) -> None:
        # at R1 (gains in instance.py): Q (backbone, degree, PE) 1.01 + 0.07041 + 1.12222 =
        # 2.20263 beats P (backbone only) 1.01; Q has 4 years, P 10: P should have gone first
        staff = [
            teacher("P", backbone=True),
            teacher("Q", joined=date(2021, 9, 1), backbone=True, degree=True, pe_arts=True),
        ]
        plan = generate_plan(
            teachers=staff, schools=self.U_AND_R1, parameters=self.PARAMETERS, on=ON
        )

        assert moves(plan) == {("Q", "R1")}
        assert plan.objective == pytest.approx(2.20263, abs=1e-5)
        assert plan.shortfalls == ()
        assert (plan.priority_pool, plan.priority_moved) == (1, 0)
        assert [(e.school_code, e.moved, e.staying) for e in plan.priority_exceptions] == [
            ("U", ("Q",), ("P",))
        ]

    def test_a_plain_teacher_moving_before_a_priority_one_is_no_exception(self) -> None:
        # the order binds principals and backbone teachers among themselves
        staff = [
            teacher("P", backbone=True),
            teacher("T", degree=True, pe_arts=True),  # R1: 0.07041 + 1.12222 = 1.19263 > 1.01
        ]
        plan = generate_plan(
            teachers=staff, schools=self.U_AND_R1, parameters=self.PARAMETERS, on=ON
        )

        assert moves(plan) == {("T", "R1")}
        assert plan.priority_exceptions == ()


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
        assert narrow.optimality_gap <= OPTIMALITY_GAP
        assert narrow.objective == pytest.approx(full.objective, rel=OPTIMALITY_GAP)
