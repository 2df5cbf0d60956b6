"""Roster rules (no I/O): which schools teach a roster 学段; which pupils board against the
boarding rule (policy.py: seed 000)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from assistance.students.policy import BoardingRule
from assistance.students.schemas import Level, StudentFlag, StudentStatus
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError


@dataclass(frozen=True, slots=True)
class SchoolFacts:
    """What the roster needs of a school in the registry copy."""

    county_code: str
    levels: frozenset[str]


# the school copy's levels (enrollment's SchoolLevel) that teach each roster 学段
LEVELS_TEACHING = {
    Level.PRIMARY: frozenset({"primary", "nine_year"}),
    Level.JUNIOR: frozenset({"junior", "nine_year", "complete_secondary"}),
}


def school_error(school: SchoolFacts | None, level: Level) -> FieldError | None:
    """The school must be in the school copy and teach the student's 学段."""
    if school is None:
        return FieldError(
            "school_code",
            "school_registered",
            t("不在学校名录副本中", "not in the school registry copy"),
        )
    if not school.levels & LEVELS_TEACHING[level]:
        return FieldError(
            "level",
            "school_teaches_level",
            t(
                f"该学校设有 {', '.join(sorted(school.levels))}",
                f"the school teaches {', '.join(sorted(school.levels))}",
            ),
        )
    return None


def is_young_boarder(
    *, status: str, level: str, grade: int, boarding: bool, rule: BoardingRule | None
) -> bool:
    """寄宿 below the rule's grade: an enrolled primary boarder in a grade under
    `rule.boarding_min_grade` (seed 000: grades 1–3 do not board, in principle). No rule in
    force for the county: never (no national rule is invented)."""
    return (
        rule is not None
        and boarding
        and status == StudentStatus.ENROLLED
        and level == Level.PRIMARY
        and grade < rule.boarding_min_grade
    )


def student_flags(
    *, status: str, level: str, grade: int, boarding: bool, rule: BoardingRule | None
) -> list[StudentFlag]:
    """The roster's flags of one pupil: findings for the bureau, never a refusal."""
    young = is_young_boarder(status=status, level=level, grade=grade, boarding=boarding, rule=rule)
    return [StudentFlag.YOUNG_BOARDER] if young else []


@dataclass(frozen=True, slots=True)
class GradeCount:
    """Enrolled pupils of one county, 学段, grade and boarding status."""

    county_code: str
    level: str
    grade: int
    boarding: bool
    students: int


@dataclass(frozen=True, slots=True)
class CountyBoarding:
    county_code: str
    enrolled: int
    boarders: int
    young_boarders: int | None  # None: no boarding rule in force for the county
    rule: BoardingRule | None


def county_boarding(
    counts: Iterable[GradeCount], rules: Mapping[str, BoardingRule | None]
) -> list[CountyBoarding]:
    """Per county (sorted): enrolled pupils, boarders, and the boarders the rule in force flags
    (`rules` maps each county to its rule; a county without one has no count, not 0)."""
    totals: dict[str, list[int]] = {}
    for c in counts:
        enrolled, boarders, young = totals.setdefault(c.county_code, [0, 0, 0])
        young_here = is_young_boarder(
            status=StudentStatus.ENROLLED,
            level=c.level,
            grade=c.grade,
            boarding=c.boarding,
            rule=rules.get(c.county_code),
        )
        totals[c.county_code] = [
            enrolled + c.students,
            boarders + (c.students if c.boarding else 0),
            young + (c.students if young_here else 0),
        ]
    return [
        CountyBoarding(
            county,
            enrolled,
            boarders,
            young if rules.get(county) is not None else None,
            rules.get(county),
        )
        for county, (enrolled, boarders, young) in sorted(totals.items())
    ]
