"""教师信息表 validated column by column (polars) instead of row by row.

The fast path recognises *plain* rows — text cells in the shapes bureaus normally write (ISO or
2010/9/1 dates, codes or their Chinese labels, no earlier rural service) — checks them with
vectorised expressions and normalises them. Every other row (a bad cell, a spreadsheet number
where text belongs, a 乡村学校任教经历 text) goes to the pydantic row schema, which stays the one
authority for error messages. The fast path accepts only rows that schema accepts and yields the
same values; `tests/teachers/test_sheet_frame.py` checks the two side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import polars as pl

from junheng_kit.identifiers import CITIZEN_ID_CHECK_CHARACTERS, CITIZEN_ID_WEIGHTS
from junheng_kit.identifiers import SCHOOL_CATEGORIES as SCHOOL_CODE_CATEGORIES
from junheng_kit.tabular import SheetColumns
from staffing.teachers.codes import (
    BACKBONE_CODES,
    DEGREE_CODES,
    LABELS,
    SUBJECT_CODES,
    TITLE_CODES,
    Gender,
    PostType,
    Section,
    StaffingStatus,
    TeacherStatus,
)

TEXT_FIELDS = (
    "citizen_id", "name", "gender", "birth_date", "school_code", "section", "school_joined_on",
    "post_type", "subjects", "title", "degree", "backbone_level", "staffing_status", "hire_date",
    "status", "rural_service",
)  # fmt: skip
DATE_FIELDS = ("birth_date", "school_joined_on", "hire_date")
NORMALISED = (
    "citizen_id", "name", "gender", "birth_date", "school_code", "section", "school_joined_on",
    "post_type", "subjects", "title", "degree", "backbone_level", "staffing_status", "hire_date",
    "status",
)  # fmt: skip
SCHEMA: dict[str, Any] = {
    "index": pl.Int64,
    "row": pl.Int64,
    **{f: pl.String for f in NORMALISED},
    **{f: pl.Date for f in DATE_FIELDS},
    "subjects": pl.List(pl.String),
}
_SEPARATORS = r"[、,，;；/\s]+"  # as schemas._SEPARATORS; Rust's \s is a subset of Python's


def _enum_lookup(
    enum: type[Gender | Section | PostType | StaffingStatus | TeacherStatus],
) -> dict[str, str]:
    return {**{m.value: m.value for m in enum}, **LABELS[enum]}


def _text(values: list[Any], field: str, odd: list[bool]) -> pl.Series:
    """A column as text; cells of another type (numbers, datetimes with a time) mark the row odd
    (the schema decides on them). A spreadsheet date in a date column is its ISO text."""
    if {type(v) for v in values} <= {str, type(None)}:
        return pl.Series(field, values, dtype=pl.String)
    out: list[str | None] = []
    for index, value in enumerate(values):
        if value is None or isinstance(value, str):
            out.append(value)
        elif field in DATE_FIELDS and isinstance(value, datetime):
            if value.tzinfo is None and value.time() == datetime.min.time():
                out.append(value.date().isoformat())
            else:
                out.append(None)
                odd[index] = True
        elif field in DATE_FIELDS and isinstance(value, date):
            out.append(value.isoformat())
        else:
            out.append(None)
            odd[index] = True
    return pl.Series(field, out, dtype=pl.String)


def raw_frame(sheet: SheetColumns) -> pl.DataFrame:
    """The sheet as text columns, with each record's position (`index`), sheet row and `odd`."""
    odd = [False] * len(sheet.rows)
    columns = [_text(sheet.values[field], field, odd) for field in TEXT_FIELDS]
    return pl.DataFrame(
        [
            pl.Series("index", range(len(sheet.rows)), dtype=pl.Int64),
            pl.Series("row", sheet.rows, dtype=pl.Int64),
            *columns,
            pl.Series("odd", odd, dtype=pl.Boolean),
        ]
    )


def _date(field: str) -> pl.Expr:
    """2010-09-01, or 2010/9/1 and 2010.9.1 as the row schema rewrites them."""
    text = pl.col(field)
    parts = text.str.extract_groups(r"^([0-9]{4})[/.]([0-9]{1,2})[/.]([0-9]{1,2})$")
    rewritten = pl.concat_str(
        parts.struct.field("1"),
        pl.lit("-"),
        parts.struct.field("2").str.zfill(2),
        pl.lit("-"),
        parts.struct.field("3").str.zfill(2),
    )
    iso = (
        pl.when(text.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")).then(text).otherwise(rewritten)
    )
    return iso.str.to_date("%Y-%m-%d", strict=False)


def _code(field: str, lookup: dict[str, str]) -> pl.Expr:
    return pl.col(field).replace_strict(lookup, default=None, return_dtype=pl.String)


def _given_and_known(field: str) -> pl.Expr:
    """A blank optional cell is fine; a written one must map to a code."""
    return pl.col(f"raw_{field}").is_null() | pl.col(field).is_not_null()


def validate(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(plain rows normalised, the rest as raw rows for the schema)."""
    citizen_id = pl.col("citizen_id").str.to_uppercase()
    digits = [
        citizen_id.str.slice(i, 1).cast(pl.Int64, strict=False) * weight
        for i, weight in enumerate(CITIZEN_ID_WEIGHTS)
    ]
    check = (pl.sum_horizontal(digits) % 11).replace_strict(
        dict(enumerate(CITIZEN_ID_CHECK_CHARACTERS)), default=None, return_dtype=pl.String
    )
    born_in_id = pl.concat_str(
        citizen_id.str.slice(6, 4),
        pl.lit("-"),
        citizen_id.str.slice(10, 2),
        pl.lit("-"),
        citizen_id.str.slice(12, 2),
    ).str.to_date("%Y-%m-%d", strict=False)
    gender_in_id = (
        pl.when(citizen_id.str.slice(16, 1).cast(pl.Int64, strict=False) % 2 == 1)
        .then(pl.lit(Gender.MALE.value))
        .otherwise(pl.lit(Gender.FEMALE.value))
    )
    subjects = (
        pl.col("subjects")
        .str.replace_all(_SEPARATORS, "\x00")
        .str.split("\x00")
        .list.eval(
            pl.element()
            .filter(pl.element() != "")
            .replace_strict(SUBJECT_CODES, default=None, return_dtype=pl.String)
        )
    )
    staged = frame.with_columns(
        pl.col(
            "gender",
            "section",
            "post_type",
            "subjects",
            "title",
            "degree",
            "backbone_level",
            "staffing_status",
            "status",
        ).name.prefix("raw_"),
    ).with_columns(
        citizen_id.alias("citizen_id"),
        _code("gender", _enum_lookup(Gender)),
        _code("section", _enum_lookup(Section)),
        _code("post_type", _enum_lookup(PostType)),
        _code("staffing_status", _enum_lookup(StaffingStatus)),
        _code("status", _enum_lookup(TeacherStatus)),
        _code("title", TITLE_CODES),
        _code("degree", DEGREE_CODES),
        _code("backbone_level", BACKBONE_CODES),
        pl.when(pl.col("subjects").is_null())
        .then(pl.lit([], dtype=pl.List(pl.String)))
        .otherwise(subjects)
        .alias("subjects"),
        *[_date(field).alias(field) for field in DATE_FIELDS],
        check.alias("check_character"),
        born_in_id.alias("born_in_id"),
        gender_in_id.alias("gender_in_id"),
    )
    known_year = [pl.col(f).dt.year() >= 1 for f in DATE_FIELDS]
    plain = (
        ~pl.col("odd")
        & pl.col("rural_service").is_null()
        & pl.col("citizen_id").str.contains(r"^[0-9]{17}[0-9X]$")
        & (pl.col("check_character") == pl.col("citizen_id").str.slice(17, 1))
        & pl.col("born_in_id").is_not_null()
        & (pl.col("born_in_id") == pl.col("birth_date"))
        & pl.col("name").is_not_null()
        & (pl.col("name").str.len_chars() <= 50)
        & _given_and_known("gender")
        & (pl.col("gender").is_null() | (pl.col("gender") == pl.col("gender_in_id")))
        & pl.col("school_code").str.contains(r"^[0-9]{10}$")
        & pl.col("school_code").str.slice(0, 2).is_in(sorted(SCHOOL_CODE_CATEGORIES))
        & pl.col("section").is_not_null()
        & pl.col("post_type").is_not_null()
        & pl.col("staffing_status").is_not_null()
        & pl.col("degree").is_not_null()
        & _given_and_known("status")
        & _given_and_known("title")
        & _given_and_known("backbone_level")
        & ~pl.col("subjects").list.eval(pl.element().is_null()).list.any()
        & pl.all_horizontal(pl.col(f).is_not_null() for f in DATE_FIELDS)
        & pl.all_horizontal(known_year)
        & (pl.col("school_joined_on") > pl.col("birth_date"))
    ).fill_null(False)
    staged = staged.with_columns(plain.alias("plain"))
    good = (
        staged.filter(pl.col("plain"))
        .with_columns(
            pl.col("subjects").list.unique(maintain_order=True),
            pl.col("status").fill_null(TeacherStatus.ACTIVE.value),
        )
        .select(list(SCHEMA))
    )
    rest = frame.filter(~staged["plain"])
    return good, rest


def from_rows(indices: Sequence[int], numbers: Sequence[int], rows: Sequence[Any]) -> pl.DataFrame:
    """Rows the schema validated (TeacherSheetRow), in the fast path's normalised shape."""
    data: dict[str, list[Any]] = {"index": list(indices), "row": list(numbers)}
    for field in NORMALISED:
        values = [getattr(r, field) for r in rows]
        if field == "subjects":
            data[field] = [list(v) for v in values]
        elif field in DATE_FIELDS:
            data[field] = values
        else:
            data[field] = [getattr(v, "value", v) for v in values]
    return pl.DataFrame(data, schema=SCHEMA)
