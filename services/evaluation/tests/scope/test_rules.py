"""Scope rules of domain.md §5.1, hand-computed: teaching points and combined-school splits."""

from datetime import date
from decimal import Decimal

import pytest

from evaluation.assessment.schemas import AssessmentSectionIn, SharedResourcesIn
from evaluation.scope.rules import SPECIAL_EDUCATION_REASON, RuleInForce, apply_scope
from junheng_kit.problems import RuleViolated

NINE_YEAR = "2115060009"
WEIGHTS = RuleInForce(
    "combined_school_weights",
    {
        "nine_year": {"primary": "1", "junior": "1.1"},
        "twelve_year": {"primary": "1", "junior": "1.1", "senior": "1.32"},
    },
    date(2025, 9, 1),
    None,
    "某县细则第三条",
)
MIN_50 = RuleInForce(
    "min_pupils_teaching_point", {"min_pupils": 50}, date(2025, 9, 1), None, "细则第二条"
)


def section(
    code: str,
    level: str,
    students: int,
    area: float,
    *,
    teaching_point: bool | None = None,
    special_education: bool | None = None,
) -> AssessmentSectionIn:
    return AssessmentSectionIn(
        school_code=code,
        name=f"学校{code[-2:]}",
        level=level,  # type: ignore[arg-type]
        students=students,
        teachers_above_required_degree=10,
        backbone_teachers=2,
        pe_arts_teachers=2,
        teaching_auxiliary_area_m2=area,
        sports_venue_area_m2=100.0,
        equipment_value_yuan=1000.0,
        multimedia_classrooms=2,
        teaching_point=teaching_point,
        special_education=special_education,
    )


class TestCombinedSchoolSplit:
    def test_a_nine_year_school_splits_shared_area_by_pupils_times_weights(self) -> None:
        # A = 600 primary, B = 400 junior, S = 2080 m²: primary S·A/(A + 1.1B) = 2080·600/1040
        # = 1200 m², junior 2080·440/1040 = 880 m²; equipment 10400 yuan → 6000 / 4400
        shared = SharedResourcesIn(
            school_code=NINE_YEAR,
            kind="nine_year",
            teaching_auxiliary_area_m2=2080,
            equipment_value_yuan=10400,
        )
        scoped = apply_scope(
            [section(NINE_YEAR, "primary", 600, 1000), section(NINE_YEAR, "junior", 400, 500)],
            [shared],
            min_pupils=None,
            weights=WEIGHTS,
        )

        primary, junior = scoped.sections
        assert primary.teaching_auxiliary_area_m2 == pytest.approx(1000 + 1200, rel=1e-12)
        assert junior.teaching_auxiliary_area_m2 == pytest.approx(500 + 880, rel=1e-12)
        assert primary.equipment_value_yuan == pytest.approx(1000 + 6000, rel=1e-12)
        assert junior.equipment_value_yuan == pytest.approx(1000 + 4400, rel=1e-12)
        assert primary.sports_venue_area_m2 == 100.0  # nothing shared: unchanged
        assert scoped.splits[0].shares == {
            "primary": Decimal(600) / Decimal(1040),
            "junior": Decimal(440) / Decimal(1040),
        }

    def test_a_twelve_year_schools_senior_part_takes_its_share_unassessed(self) -> None:
        # 500 primary, 400 junior, 250 senior at 1 : 1.1 : 1.32 → 500 + 440 + 330 = 1270;
        # S = 2540 m²: primary 1000, junior 880, senior 660 (not assessed)
        shared = SharedResourcesIn(
            school_code=NINE_YEAR,
            kind="twelve_year",
            senior_students=250,
            sports_venue_area_m2=2540,
        )
        scoped = apply_scope(
            [section(NINE_YEAR, "primary", 500, 1), section(NINE_YEAR, "junior", 400, 1)],
            [shared],
            min_pupils=None,
            weights=WEIGHTS,
        )

        assert [s.sports_venue_area_m2 for s in scoped.sections] == pytest.approx([1100, 980])

    def test_without_county_weights_shared_resources_are_refused(self) -> None:
        shared = SharedResourcesIn(school_code=NINE_YEAR, kind="nine_year", sports_venue_area_m2=1)
        with pytest.raises(RuleViolated) as raised:
            apply_scope(
                [section(NINE_YEAR, "primary", 600, 1)], [shared], min_pupils=None, weights=None
            )
        assert raised.value.errors[0].rule == "combined_school_weights_unset"

    def test_a_kind_the_county_has_not_weighted_is_refused(self) -> None:
        shared = SharedResourcesIn(
            school_code=NINE_YEAR, kind="complete_secondary", senior_students=100
        )
        with pytest.raises(RuleViolated) as raised:
            apply_scope(
                [section(NINE_YEAR, "junior", 600, 1)], [shared], min_pupils=None, weights=WEIGHTS
            )
        assert (raised.value.errors[0].field, raised.value.errors[0].rule) == (
            "shared_resources[0].kind",
            "combined_school_kind_unset",
        )

    def test_a_nine_year_school_without_its_junior_section_is_refused(self) -> None:
        shared = SharedResourcesIn(school_code=NINE_YEAR, kind="nine_year", sports_venue_area_m2=1)
        with pytest.raises(RuleViolated) as raised:
            apply_scope(
                [section(NINE_YEAR, "primary", 600, 1)], [shared], min_pupils=None, weights=WEIGHTS
            )
        assert raised.value.errors[0].rule == "combined_school_sections"


class TestTeachingPoints:
    def test_a_teaching_point_under_the_minimum_is_excluded_with_the_reason(self) -> None:
        sections = [
            section("2115060020", "primary", 49, 100, teaching_point=True),
            section("2115060021", "primary", 50, 100, teaching_point=True),  # 50 is not under
            section("2115060022", "primary", 30, 100),  # a school, not a teaching point
        ]

        scoped = apply_scope(sections, [], min_pupils=MIN_50, weights=None)

        assert [s.school_code for s in scoped.sections] == ["2115060021", "2115060022"]
        assert [(e.school_code, e.rule) for e in scoped.excluded] == [
            ("2115060020", "min_pupils_teaching_point")
        ]
        assert scoped.excluded[0].reason == "教学点 49 人 < 50 人（细则第二条）"

    def test_without_the_county_rule_teaching_points_stay(self) -> None:
        sections = [section("2115060020", "primary", 12, 100, teaching_point=True)]

        scoped = apply_scope(sections, [], min_pupils=None, weights=None)

        assert scoped.sections == sections
        assert scoped.excluded == []


class TestSpecialEducationSchools:
    """domain.md §5.1: the 资源配置 assessment takes ordinary primary, junior and nine-year or
    complete schools — "All compulsory schools except special schools, vocational schools and
    teaching points under 50 pupils" — so a special-education school is left out everywhere,
    without any county rule, and listed with the reason."""

    def test_a_special_education_school_is_left_out_without_a_county_rule(self) -> None:
        ordinary = section("2115060001", "primary", 600, 3000)
        special = section("2115060040", "primary", 80, 900, special_education=True)
        point = section("2115060031", "primary", 36, 180, teaching_point=True)

        scoped = apply_scope([ordinary, special, point], [], min_pupils=None, weights=None)

        assert scoped.sections == [ordinary, point]  # no county rule: the teaching point stays
        assert [(e.school_code, e.rule, e.reason) for e in scoped.excluded] == [
            ("2115060040", "special_education_school", SPECIAL_EDUCATION_REASON)
        ]

    def test_with_the_county_rule_both_are_listed_special_first(self) -> None:
        ordinary = section("2115060001", "primary", 600, 3000)
        special = section("2115060040", "primary", 80, 900, special_education=True)
        point = section("2115060031", "primary", 36, 180, teaching_point=True)

        scoped = apply_scope([point, special, ordinary], [], min_pupils=MIN_50, weights=None)

        assert scoped.sections == [ordinary]
        assert [e.rule for e in scoped.excluded] == [
            "special_education_school",
            "min_pupils_teaching_point",
        ]

    def test_only_special_education_schools_is_422_nothing_to_assess(self) -> None:
        special = section("2115060040", "primary", 80, 900, special_education=True)

        with pytest.raises(RuleViolated) as refused:
            apply_scope([special], [], min_pupils=None, weights=None)

        assert [(e.field, e.rule) for e in refused.value.errors] == [
            ("schools", "no_section_in_scope")
        ]
