"""Teacher registry rules (pure): identity against the 公民身份号码, postings, moves, indicators.

No I/O here; the repository turns the indicator sets into one GROUP BY.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from junheng_kit.i18n import t
from junheng_kit.identifiers import citizen_id_birth_date, citizen_id_gender
from junheng_kit.problems import FieldError, RuleViolated
from staffing.teachers.codes import (
    INDICATOR_BACKBONE_LEVELS,
    PE_ARTS_SUBJECTS,
    Gender,
    PostType,
    Section,
    StaffingStatus,
    TeacherStatus,
    degrees_at_or_above,
    required_degree,
)
from staffing.teachers.qualifications import allows

# 学段 a school of each registry level offers (enrollment's SchoolLevel values)
SECTIONS_OF_LEVEL: dict[str, tuple[Section, ...]] = {
    "primary": (Section.PRIMARY,),
    "junior": (Section.JUNIOR,),
    "nine_year": (Section.PRIMARY, Section.JUNIOR),
    "complete_secondary": (Section.JUNIOR,),
}


def sections_offered(levels: Iterable[str]) -> list[Section]:
    """The 学段 of a school, in order primary → junior."""
    offered = {s for level in levels for s in SECTIONS_OF_LEVEL.get(level, ())}
    return [s for s in Section if s in offered]


def identity_errors(citizen_id: str, birth_date: date, gender: Gender | None) -> list[FieldError]:
    """The birth date (positions 7–14) and gender (position 17) must agree with the ID."""
    errors = []
    if citizen_id_birth_date(citizen_id) != birth_date:
        errors.append(
            FieldError(
                "birth_date",
                "birth_date_matches_citizen_id",
                t(
                    "出生日期与公民身份号码第 7–14 位不一致",
                    "the birth date differs from positions 7–14 of the 公民身份号码 (citizen ID)",
                ),
            )
        )
    if gender is not None and citizen_id_gender(citizen_id) != gender:
        errors.append(
            FieldError(
                "gender",
                "gender_matches_citizen_id",
                t(
                    "公民身份号码第 17 位男性为奇数、女性为偶数",
                    "position 17 of the 公民身份号码 (citizen ID) is odd for men and even for "
                    "women",
                ),
            )
        )
    return errors


def section_error(levels: Sequence[str], section: Section, *, field: str) -> FieldError | None:
    if section in sections_offered(levels):
        return None
    return FieldError(
        field,
        "section_offered_by_school",
        t(f"该学校没有 {section.value} 学段", f"the school has no {section.value} section"),
    )


def posting_dates_error(hire_date: date, school_joined_on: date) -> FieldError | None:
    if school_joined_on >= hire_date:
        return None
    return FieldError(
        "school_joined_on",
        "joined_school_after_hire",
        t(
            "调入本校日期不能早于参加工作日期",
            "the date of joining this school (调入本校日期) cannot precede the date of starting "
            "work (参加工作日期)",
        ),
    )


def subjects_error(post_type: PostType, subjects: Sequence[str]) -> FieldError | None:
    if post_type == PostType.FULL_TIME and not subjects:
        return FieldError(
            "subjects",
            "subject_required_for_full_time",
            t(
                "专任教师至少任教一门学科",
                "a 专任教师 (full-time teacher) teaches at least one subject",
            ),
        )
    return None


def check_move(
    *,
    status: TeacherStatus,
    current_school: str,
    current_start: date,
    to_school: str,
    moved_on: date,
) -> None:
    """调动: an active teacher moves to another school no earlier than the current period began."""
    if status != TeacherStatus.ACTIVE:
        raise RuleViolated(
            t("只有在职教师可以调动", "only an active teacher can move"),
            FieldError(
                "status",
                "teacher_active",
                t(f"该教师状态为 {status.value}", f"the teacher is {status.value}"),
            ),
        )
    if to_school == current_school:
        raise RuleViolated(
            t("该教师已在该学校", "the teacher is already at that school"),
            FieldError("to_school_code", "move_to_another_school"),
        )
    if moved_on < current_start:
        raise RuleViolated(
            t("调动日期不能早于当前任职开始日期", "a move cannot precede the current posting"),
            FieldError(
                "moved_on",
                "move_not_before_current_period",
                t(
                    f"当前任职开始于 {current_start.isoformat()}",
                    f"the current posting began on {current_start.isoformat()}",
                ),
            ),
        )


@dataclass(frozen=True, slots=True)
class IndicatorSets:
    """Which codes count for indicators 1–3 on a date (domain.md §5.2), per 学段."""

    qualifying_degrees: dict[Section, frozenset[str]]
    backbone_levels: frozenset[str]
    pe_arts_subjects: frozenset[str]


def indicator_sets(on: date) -> IndicatorSets:
    return IndicatorSets(
        qualifying_degrees={
            s: degrees_at_or_above(required_degree(s, on).minimum) for s in Section
        },
        backbone_levels=INDICATOR_BACKBONE_LEVELS,
        pe_arts_subjects=PE_ARTS_SUBJECTS,
    )


def counts_as_full_time(
    post_type: PostType, staffing_status: StaffingStatus, status: TeacherStatus
) -> bool:
    """专任教师 in post: active, 专任, not 借调 out of the school."""
    return (
        status == TeacherStatus.ACTIVE
        and post_type == PostType.FULL_TIME
        and staffing_status != StaffingStatus.SECONDED
    )


class TeacherFlag(StrEnum):
    """What a bureau should look at in a teacher's record; a flag never refuses the record."""

    NO_TEACHER_QUALIFICATION = "no_teacher_qualification"
    QUALIFICATION_BELOW_SECTION = "teacher_qualification_below_section"


def registry_flags(
    *,
    post_type: PostType,
    staffing_status: StaffingStatus,
    status: TeacherStatus,
    section: Section,
    qualification_type: str | None,
) -> list[TeacherFlag]:
    """持证上岗: "教师必须取得相应教师资格证后,方可持证上岗任教" (seed 000). A 专任教师 in post
    (`counts_as_full_time`) without a 教师资格 is flagged, and one whose certificate is of a
    lower level than the 学段 taught (教师资格条例 Art. 5: a certificate allows its own level
    and below; a 小学 certificate does not allow teaching 初中)."""
    if not counts_as_full_time(post_type, staffing_status, status):
        return []
    if qualification_type is None:
        return [TeacherFlag.NO_TEACHER_QUALIFICATION]
    if not allows(qualification_type, section):
        return [TeacherFlag.QUALIFICATION_BELOW_SECTION]
    return []


@dataclass(frozen=True, slots=True)
class Period:
    started_on: date
    ended_on: date  # inclusive end is not needed: days = ended_on - started_on


def service_days(periods: Iterable[Period]) -> int:
    """Days covered by the periods, overlaps counted once."""
    total = 0
    reach: date | None = None
    for period in sorted(periods, key=lambda p: p.started_on):
        start = period.started_on if reach is None else max(period.started_on, reach)
        if period.ended_on > start:
            total += (period.ended_on - start).days
            reach = period.ended_on if reach is None else max(reach, period.ended_on)
    return total
