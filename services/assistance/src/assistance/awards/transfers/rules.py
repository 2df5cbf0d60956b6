"""异地转学 rules: where a student may move.

Pure: no I/O.
"""

from __future__ import annotations

from assistance.students.rules import LEVELS_TEACHING, SchoolFacts
from assistance.students.schemas import Level
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, RuleViolated


def check_move(from_place: tuple[str, str], to_place: tuple[str, str]) -> None:
    """A transfer changes the school: (county, school) before and after differ (422
    `transfer_changes_school`)."""
    if from_place == to_place:
        raise RuleViolated(
            t("转入学校与当前学校相同", "the receiving school is the current school"),
            FieldError("to_school_code", "transfer_changes_school"),
        )


def transfer_target_error(
    target: SchoolFacts | None, *, to_county_code: str, level: Level
) -> FieldError | None:
    """异地转学: the receiving school must be in the school copy, lie in `to_county_code` and
    teach the student's 学段."""
    if target is None:
        return FieldError(
            "to_school_code",
            "school_registered",
            t("不在学校名录副本中", "not in the school registry copy"),
        )
    if target.county_code != to_county_code:
        return FieldError(
            "to_school_code",
            "school_in_county",
            t(
                f"该学校属于区县 {target.county_code}，而不是 {to_county_code}",
                f"the school belongs to county {target.county_code}, not {to_county_code}",
            ),
        )
    if not target.levels & LEVELS_TEACHING[level]:
        return FieldError(
            "to_school_code",
            "school_teaches_level",
            t(
                f"该学校设有 {', '.join(sorted(target.levels))}，学生为 {level.value}",
                f"the school teaches {', '.join(sorted(target.levels))}, the student is "
                f"{level.value}",
            ),
        )
    return None
