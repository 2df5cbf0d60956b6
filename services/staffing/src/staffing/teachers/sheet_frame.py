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

from junheng_kit import fieldcrypt, sheet_frames
from junheng_kit.identifiers import SCHOOL_CATEGORIES as SCHOOL_CODE_CATEGORIES
from junheng_kit.identifiers import citizen_id_gender_expr
from junheng_kit.tabular import SheetColumns
from staffing.teachers.codes import (
    BACKBONE_CODES,
    DEGREE_CODES,
    LABELS,
    SUBJECT_CODES,
    TITLE_CODES,
    Gender,
    LeadershipPost,
    PostType,
    Section,
    StaffingStatus,
    TeacherStatus,
)
from staffing.teachers.models import CITIZEN_ID, NAME, citizen_id_indexes
from staffing.teachers.qualifications import NUMBER_MAX_LENGTH, QUALIFICATION_TYPE_CODES

QUALIFICATION_FIELDS = (
    "teacher_qualification_type", "teacher_qualification_number", "teacher_qualification_subject",
)  # fmt: skip
TEXT_FIELDS = (
    "citizen_id", "name", "gender", "birth_date", "school_code", "section", "school_joined_on",
    "post_type", "subjects", "title", "degree", "backbone_level", "staffing_status", "hire_date",
    "status", "leadership_post", *QUALIFICATION_FIELDS, "rural_service",
)  # fmt: skip
DATE_FIELDS = ("birth_date", "school_joined_on", "hire_date")
NORMALISED = (
    "citizen_id", "name", "gender", "birth_date", "school_code", "section", "school_joined_on",
    "post_type", "subjects", "title", "degree", "backbone_level", "staffing_status", "hire_date",
    "status", "leadership_post", *QUALIFICATION_FIELDS,
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
    enum: type[Gender | Section | PostType | StaffingStatus | TeacherStatus | LeadershipPost],
) -> dict[str, str]:
    return {**{m.value: m.value for m in enum}, **LABELS[enum]}


def _cell_text(value: Any, field: str) -> str | None:
    """A spreadsheet date in a date column as its ISO text (a date-time only at midnight, without
    a zone); any other cell that is not text is for the schema (numbers, date-times)."""
    if field in DATE_FIELDS and isinstance(value, datetime):
        if value.tzinfo is None and value.time() == datetime.min.time():
            return value.date().isoformat()
        return None
    if field in DATE_FIELDS and isinstance(value, date):
        return value.isoformat()
    return None


def raw_frame(sheet: SheetColumns) -> pl.DataFrame:
    """The sheet as text columns, with each record's position (`index`), sheet row and `odd`."""
    return sheet_frames.text_frame(sheet, TEXT_FIELDS, _cell_text)


def _code(field: str, lookup: dict[str, str]) -> pl.Expr:
    return pl.col(field).replace_strict(lookup, default=None, return_dtype=pl.String)


def _given_and_known(field: str) -> pl.Expr:
    """A blank optional cell is fine; a written one must map to a code."""
    return pl.col(f"raw_{field}").is_null() | pl.col(field).is_not_null()


def validate(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(plain rows normalised, the rest as raw rows for the schema)."""
    citizen_id = pl.col("citizen_id").str.to_uppercase()
    check = sheet_frames.citizen_id_check_character(citizen_id)
    born_in_id = pl.concat_str(
        citizen_id.str.slice(6, 4),
        pl.lit("-"),
        citizen_id.str.slice(10, 2),
        pl.lit("-"),
        citizen_id.str.slice(12, 2),
    ).str.to_date("%Y-%m-%d", strict=False)
    gender_in_id = citizen_id_gender_expr(citizen_id)
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
            "leadership_post",
            "teacher_qualification_type",
            "teacher_qualification_subject",
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
        _code("leadership_post", _enum_lookup(LeadershipPost)),
        _code("teacher_qualification_type", QUALIFICATION_TYPE_CODES),
        _code("teacher_qualification_subject", SUBJECT_CODES),
        pl.when(pl.col("subjects").is_null())
        .then(pl.lit([], dtype=pl.List(pl.String)))
        .otherwise(subjects)
        .alias("subjects"),
        *[sheet_frames.sheet_date(field).alias(field) for field in DATE_FIELDS],
        check.alias("check_character"),
        born_in_id.alias("born_in_id"),
        gender_in_id.alias("gender_in_id"),
    )
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
        & _given_and_known("leadership_post")
        & _given_and_known("teacher_qualification_type")
        & _given_and_known("teacher_qualification_subject")
        & (
            pl.col("teacher_qualification_number").is_null()
            | (pl.col("teacher_qualification_number").str.len_chars() <= NUMBER_MAX_LENGTH)
        )
        & (  # a number or subject without the certificate's kind: the schema says so
            pl.col("teacher_qualification_type").is_not_null()
            | (
                pl.col("teacher_qualification_number").is_null()
                & pl.col("teacher_qualification_subject").is_null()
            )
        )
        & ~pl.col("subjects").list.eval(pl.element().is_null()).list.any()
        & pl.all_horizontal(pl.col(f).is_not_null() for f in DATE_FIELDS)  # year 1 or later
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
        if field in QUALIFICATION_FIELDS:
            part = field.removeprefix("teacher_qualification_")
            data[field] = [
                getattr(r.teacher_qualification, part) if r.teacher_qualification else None
                for r in rows
            ]
            continue
        values = [getattr(r, field) for r in rows]
        if field == "subjects":
            data[field] = [list(v) for v in values]
        elif field in DATE_FIELDS:
            data[field] = values
        else:
            data[field] = [getattr(v, "value", v) for v in values]
    return pl.DataFrame(data, schema=SCHEMA)


ENCRYPTED = ("citizen_id", "name")  # given to insert_columns already encrypted


def encrypted_identity(frame: pl.DataFrame) -> dict[str, list[str]]:
    """The new teachers' citizen IDs and names encrypted, each value once with its own nonce
    (insert_columns would encrypt a repeated name once and store the same ciphertext twice),
    and the IDs' blind indexes computed over the whole column."""
    ids, names = frame["citizen_id"].to_list(), frame["name"].to_list()
    ring = fieldcrypt.keyring()
    return {
        "citizen_id": [fieldcrypt.encrypt(v, CITIZEN_ID, ring) for v in ids],
        "citizen_id_index": citizen_id_indexes(ids),
        "name": [fieldcrypt.encrypt(v, NAME, ring) for v in names],
    }
