"""Pure registry rules: identity against the ID, 学段 of schools, moves, indicator sets, flags."""

from datetime import date

import pytest

from junheng_kit.problems import RuleViolated
from staffing.teachers import rules
from staffing.teachers.codes import (
    Gender,
    PostType,
    Section,
    StaffingStatus,
    TeacherStatus,
    required_degree,
)
from staffing.teachers.qualifications import QUALIFICATION_TYPES
from staffing.teachers.qualifications import SOURCE as QUALIFICATION_SOURCE

ID = "220822201308310034"  # domain.md §1.1 worked example: born 2013-08-31, male


class TestIdentity:
    def test_birth_date_and_gender_of_the_id_pass(self) -> None:
        assert rules.identity_errors(ID, date(2013, 8, 31), Gender.MALE) == []

    def test_a_different_birth_date_is_reported(self) -> None:
        errors = rules.identity_errors(ID, date(2013, 9, 1), None)
        assert [(e.field, e.rule) for e in errors] == [
            ("birth_date", "birth_date_matches_citizen_id")
        ]

    def test_female_against_an_odd_position_17_is_reported(self) -> None:
        errors = rules.identity_errors(ID, date(2013, 8, 31), Gender.FEMALE)
        assert [e.rule for e in errors] == ["gender_matches_citizen_id"]


class TestSections:
    def test_a_nine_year_school_offers_both_sections(self) -> None:
        assert rules.sections_offered(["nine_year"]) == [Section.PRIMARY, Section.JUNIOR]

    def test_a_complete_secondary_school_offers_junior_only(self) -> None:
        assert rules.sections_offered(["complete_secondary"]) == [Section.JUNIOR]

    def test_junior_at_a_primary_school_is_refused(self) -> None:
        error = rules.section_error(["primary"], Section.JUNIOR, field="section")
        assert error is not None
        assert error.rule == "section_offered_by_school"


class TestMove:
    def test_a_move_before_the_current_posting_began_is_refused(self) -> None:
        with pytest.raises(RuleViolated) as caught:
            rules.check_move(
                status=TeacherStatus.ACTIVE,
                current_school="2115060001",
                current_start=date(2020, 9, 1),
                to_school="2115060002",
                moved_on=date(2020, 8, 31),
            )
        assert caught.value.errors[0].rule == "move_not_before_current_period"

    def test_a_move_on_the_start_day_is_allowed(self) -> None:
        rules.check_move(
            status=TeacherStatus.ACTIVE,
            current_school="2115060001",
            current_start=date(2020, 9, 1),
            to_school="2115060002",
            moved_on=date(2020, 9, 1),
        )

    def test_a_retired_teacher_does_not_move(self) -> None:
        with pytest.raises(RuleViolated) as caught:
            rules.check_move(
                status=TeacherStatus.RETIRED,
                current_school="2115060001",
                current_start=date(2020, 9, 1),
                to_school="2115060002",
                moved_on=date(2021, 9, 1),
            )
        assert caught.value.errors[0].rule == "teacher_active"


class TestIndicatorSets:
    def test_primary_counts_junior_college_and_above(self) -> None:
        sets = rules.indicator_sets(date(2025, 9, 1))
        assert sets.qualifying_degrees[Section.PRIMARY] == {
            "junior_college",
            "bachelor",
            "master",
            "doctorate",
        }

    def test_junior_counts_bachelor_and_above(self) -> None:
        sets = rules.indicator_sets(date(2025, 9, 1))
        assert sets.qualifying_degrees[Section.JUNIOR] == {"bachelor", "master", "doctorate"}

    def test_school_level_backbone_does_not_count(self) -> None:
        sets = rules.indicator_sets(date(2025, 9, 1))
        assert sets.backbone_levels == {"county", "city", "province", "national"}

    def test_pe_music_and_art_are_the_indicator_3_subjects(self) -> None:
        assert rules.indicator_sets(date(2025, 9, 1)).pe_arts_subjects == {"pe", "music", "art"}

    def test_no_rule_before_the_2017_framework(self) -> None:
        with pytest.raises(LookupError):
            required_degree(Section.PRIMARY, date(2016, 12, 31))


class TestServiceDays:
    def test_overlapping_periods_count_once(self) -> None:
        # 2010-09-01..2012-09-01 = 731 days; the overlap to 2013-09-01 adds 365 more
        periods = [
            rules.Period(date(2010, 9, 1), date(2012, 9, 1)),
            rules.Period(date(2011, 9, 1), date(2013, 9, 1)),
        ]
        assert rules.service_days(periods) == 1096

    def test_a_period_inside_another_adds_nothing(self) -> None:
        periods = [
            rules.Period(date(2010, 1, 1), date(2011, 1, 1)),
            rules.Period(date(2010, 3, 1), date(2010, 4, 1)),
        ]
        assert rules.service_days(periods) == 365


class TestRegistryFlags:
    """Seed 000: "教师必须取得相应教师资格证后,方可持证上岗任教"; 教师资格条例 Art. 5: a
    certificate allows its own level and below (本级及其以下等级)."""

    @staticmethod
    def flags(
        qualification: str | None,
        section: Section = Section.JUNIOR,
        *,
        post_type: PostType = PostType.FULL_TIME,
        staffing: StaffingStatus = StaffingStatus.IN_QUOTA,
    ) -> list[str]:
        return rules.registry_flags(
            post_type=post_type,
            staffing_status=staffing,
            status=TeacherStatus.ACTIVE,
            section=section,
            qualification_type=qualification,
        )

    def test_every_kind_against_the_two_sections(self) -> None:
        # (kind, primary, junior): levels 幼儿园 1, 小学 2, 初级中学 3, 高级中学 = 中等职业学校
        # 4, 高等学校 5; primary needs 2, junior 3; 实习指导 allows no class teaching
        below = "teacher_qualification_below_section"
        expected = [
            ("kindergarten", [below], [below]),
            ("primary_school", [], [below]),
            ("junior_secondary", [], []),
            ("senior_secondary", [], []),
            ("secondary_vocational_school", [], []),
            ("vocational_practice_instructor", [below], [below]),
            ("higher_education", [], []),
        ]
        assert [
            (code, self.flags(code, Section.PRIMARY), self.flags(code, Section.JUNIOR))
            for code, _, _ in expected
        ] == expected

    def test_a_full_time_teacher_in_post_without_one_is_flagged(self) -> None:
        assert self.flags(None) == ["no_teacher_qualification"]

    def test_seconded_and_auxiliary_staff_are_not_flagged(self) -> None:
        assert self.flags(None, staffing=StaffingStatus.SECONDED) == []
        assert self.flags(None, post_type=PostType.AUXILIARY) == []

    def test_the_seven_statutory_kinds_are_the_code_data(self) -> None:
        assert [q.label for q in QUALIFICATION_TYPES] == [
            "幼儿园", "小学", "初级中学", "高级中学", "中等职业学校", "中等职业学校实习指导",
            "高等学校",
        ]  # fmt: skip
        assert "第四条" in QUALIFICATION_SOURCE
