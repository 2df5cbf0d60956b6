"""Roster rules (no I/O): which schools teach a roster 学段."""

from __future__ import annotations

from dataclasses import dataclass

from assistance.students.schemas import Level
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
        return FieldError("school_code", "school_registered", "not in the school registry copy")
    if not school.levels & LEVELS_TEACHING[level]:
        return FieldError(
            "level",
            "school_teaches_level",
            f"the school teaches {', '.join(sorted(school.levels))}",
        )
    return None
