"""入学申请导入 checks over whole columns, pure (no I/O): the child rules per distinct case, one
application per child and school year (within the sheet and against those stored), and each
row's options and ranked choices against the zones located and the schools' 学段, and the
小学毕业学校 of grade-7 rows. Every problem is a `FieldError` at `rows[<sheet row>].<column>`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl
from pydantic_core import to_json

from enrollment.admission import rules
from enrollment.zoning.rules import Zone
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError
from junheng_kit.tabular import row_errors


@dataclass(frozen=True, slots=True)
class Located:
    """Each row's zones under the maps in force: per row an index into `zones` (-1: none)."""

    zones: list[Zone]
    home: npt.NDArray[np.int64]
    hukou: npt.NDArray[np.int64]


def child_problems(
    frame: pl.DataFrame,
    levels: Sequence[rules.Level],
    cutoffs: Mapping[rules.Level, tuple[int, int]],
    *,
    year: int,
    today: date,
) -> dict[int, list[rules.Problem]]:
    """`rules.child_problems` of the rows that may have one: a G 学籍号 against the ID, the birth
    date inside the ID, a birth date in the past and the age rule compared column-wise; the rule
    itself then names the problems of the few rows that fail a comparison."""
    latest = {level: rules.entry_cutoff(year, level, cutoffs[level]) for level in cutoffs}
    births = frame["birth_date"]
    birth = pl.col("birth_date")
    suspect = (
        frame.with_columns(pl.Series("latest", [latest[level] for level in levels], dtype=pl.Date))
        .select(
            (pl.col("citizen_id").str.slice(6, 8).str.to_date("%Y%m%d", strict=False) != birth)
            | (birth > today)
            | (birth > pl.col("latest"))  # null for junior: no age rule
            | (  # a G 学籍号 carrying another ID
                pl.col("student_number").str.starts_with("G")
                & (pl.col("student_number").str.slice(1) != pl.col("citizen_id"))
            )
        )
        .to_series()
        .fill_null(False)
    )
    citizen_ids, numbers = frame["citizen_id"], frame["student_number"]
    problems: dict[int, list[rules.Problem]] = defaultdict(list)
    for i in suspect.arg_true().to_list():
        problems[i] += rules.child_problems(
            citizen_ids[i],
            births[i],
            year=year,
            level=levels[i],
            cutoff_month_day=cutoffs[levels[i]],
            today=today,
            student_number=numbers[i],
        )
    return problems


def duplicates(numbers: Sequence[int], keys: Sequence[str], stored: set[str]) -> list[FieldError]:
    """One application per child and school year: in the sheet and against those stored."""
    first: dict[str, int] = {}
    duplicates: list[FieldError] = []
    for number, key in zip(numbers, keys, strict=True):
        if key in stored or key in first:
            where = f"row {first[key]} of this sheet" if key in first else "an earlier application"
            duplicates += row_errors(
                number,
                [
                    FieldError(
                        "child_citizen_id",
                        "application_unique",
                        t(
                            f"每名儿童每学年只能提交一份申请：见 {where}",
                            f"one application per child and school year: see {where}",
                        ),
                    )
                ],
            )
        first.setdefault(key, number)
    return duplicates


@dataclass(frozen=True, slots=True)
class Options:
    """Per row: the zone codes, the zones' school lists and the ranked choices, as JSON text
    for the list columns (each distinct list encoded once)."""

    home_zone_code: list[str | None]
    hukou_zone_code: list[str | None]
    home_schools: list[str]
    hukou_schools: list[str]
    choices: list[str]


def choices(
    frame: pl.DataFrame,
    levels: Sequence[rules.Level],
    located: Located,
    problems: dict[int, list[rules.Problem]],
    school_levels: Mapping[str, Sequence[str]],
    *,
    county_code: str,
    year: int,
) -> Options:
    """`rules.school_options` and `rules.choice_problems` once per distinct (level, home zone,
    户籍 zone, choices) — a county has a few hundred such cases, not 50,000."""
    zones = located.zones
    codes = [z.zone_code for z in zones]
    schools = [to_json(list(z.school_codes)).decode() for z in zones]
    decided: dict[tuple[str, int, int, tuple[str, ...]], tuple[str, list[rules.Problem]]] = {}
    out = Options([], [], [], [], [])
    none = to_json([]).decode()
    for i, (level, home, hukou, wanted) in enumerate(
        zip(levels, located.home.tolist(), located.hukou.tolist(),
            frame["choices"].to_list(), strict=True)
    ):  # fmt: skip
        case = (level, home, hukou, tuple(wanted))
        if case not in decided:
            if home < 0 and hukou < 0:
                decided[case] = none, [rules.zone_missing(level, county_code, year)]
            else:
                options = rules.school_options(
                    zones[home].school_codes if home >= 0 else [],
                    zones[hukou].school_codes if hukou >= 0 else [],
                )
                ranked, wrong = rules.choice_problems(
                    wanted, options, school_levels=school_levels, level=level
                )
                decided[case] = to_json(ranked).decode(), wrong
        ranked_json, wrong = decided[case]
        if wrong:
            problems[i] += wrong
        out.home_zone_code.append(codes[home] if home >= 0 else None)
        out.hukou_zone_code.append(codes[hukou] if hukou >= 0 else None)
        out.home_schools.append(schools[home] if home >= 0 else none)
        out.hukou_schools.append(schools[hukou] if hukou >= 0 else none)
        out.choices.append(ranked_json)
    return out


def row_of(field: str) -> int:
    return int(field[5 : field.index("]")])


def primary_schools(
    frame: pl.DataFrame,
    levels: Sequence[rules.Level],
    problems: dict[int, list[rules.Problem]],
    school_levels: Mapping[str, Sequence[str]],
) -> None:
    """`rules.primary_school_problems` of each row naming a 小学毕业学校, once per distinct
    (level, school): a grade-7 row only, a registered school with a primary section."""
    decided: dict[tuple[str, str], list[rules.Problem]] = {}
    codes = frame["primary_school_code"]
    for i in codes.is_not_null().arg_true().to_list():
        case = (levels[i], codes[i])
        if case not in decided:
            decided[case] = rules.primary_school_problems(
                codes[i], level=levels[i], school_levels=school_levels
            )
        if decided[case]:
            problems[i] += decided[case]
