"""入学申请表 checked column by column (polars) instead of row by row.

The fast path recognises *plain* rows — text cells in the shapes families and bureaus normally
write (ISO or 2019/3/15 dates, codes or their Chinese labels, decimal coordinates) — checks them
with vectorised expressions (the 公民身份号码 MOD 11-2 check digit and the birth date inside it
per column, not per row; a 学籍号 only in its usual shape, G + that ID) and normalises them.
Every other row (a bad cell, a spreadsheet number where text belongs, a coordinate written
with an exponent) goes to `ApplicationCreate` through `admission.sheet.record_shape`, which
stays the one authority for what is valid and for every error message. The fast path accepts
only rows that schema accepts and yields the same values:
`tests/imports/test_application_frame.py` checks the two side by side, cell by cell.

Only the schema's cell checks live here; the admission rules (birth date in the ID, the age
rule, zones, choices, one application per child) run afterwards on every row alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import polars as pl
from pydantic import TypeAdapter, ValidationError

from enrollment.admission.schemas import ApplicationCreate, Year
from enrollment.imports.sheet_frame import decimal, length_between, within
from junheng_kit import sheet_frames
from junheng_kit.identifiers import (
    PROVINCES,
    SCHOOL_CATEGORIES,
    CountyCode,
)
from junheng_kit.tabular import SheetColumns

TEXT_FIELDS = (
    "grade", "child_citizen_id", "student_number", "child_name", "birth_date", "guardian_name",
    "guardian_relation", "guardian_phone", "hukou_county_code", "hukou_type", "hukou_address",
    "hukou_longitude", "hukou_latitude", "housing", "residence_permit_issued_on",
    "residence_permit_number", "social_insurance_months", "home_address", "home_longitude",
    "home_latitude", "choices", "primary_school_code",
)  # fmt: skip
NUMBER_FIELDS = frozenset(
    {"hukou_longitude", "hukou_latitude", "social_insurance_months", "home_longitude",
     "home_latitude"}
)  # fmt: skip
DATE_FIELDS = frozenset({"birth_date", "residence_permit_issued_on"})
# `record_shape` writes these cells as str(cell) whatever their type
STRINGIFIED_FIELDS = frozenset({"guardian_phone", "residence_permit_number"})

SCHEMA: dict[str, Any] = {
    "index": pl.Int64,
    "row": pl.Int64,
    "grade": pl.Int64,
    "citizen_id": pl.String,
    "student_number": pl.String,  # null: no 学籍号 given
    "child_name": pl.String,
    "birth_date": pl.Date,
    "guardian_name": pl.String,
    "guardian_relation": pl.String,
    "guardian_phone": pl.String,
    "hukou_county_code": pl.String,
    "hukou_type": pl.String,
    "hukou_address": pl.String,
    "hukou_longitude": pl.Float64,  # null: no 户籍 location given
    "hukou_latitude": pl.Float64,
    "housing": pl.String,
    "residence_permit_issued_on": pl.Date,  # null: no 居住证
    "residence_permit_number": pl.String,
    "social_insurance_months": pl.Int64,
    "home_address": pl.String,
    "home_longitude": pl.Float64,
    "home_latitude": pl.Float64,
    "choices": pl.List(pl.String),
    "primary_school_code": pl.String,  # null: none given (小学毕业学校)
}
# the labels `admission.sheet` reads, with the codes themselves (the schema takes either)
GRADES = {"1": 1, "7": 7, "一年级": 1, "七年级": 7, "初一": 7}
_CODE_SEPARATORS = r"|、;；,，\s"  # as imports.sheets._SEPARATORS; Rust's \s ⊆ Python's
_MONTHS = r"^(0|[1-9][0-9]{0,2})$"
_REQUEST = TypeAdapter(tuple[CountyCode, Year])


def _cell_text(value: Any, field: str) -> str | None:
    """A non-text cell as the text the fast path reads, or None when the schema must decide."""
    if field in STRINGIFIED_FIELDS:
        return str(value)
    if isinstance(value, bool):
        return None
    if field in NUMBER_FIELDS and isinstance(value, int | float):
        return repr(value)
    if field == "grade" and isinstance(value, int | float) and float(value).is_integer():
        return str(int(value))
    if field in DATE_FIELDS and isinstance(value, datetime):
        return value.date().isoformat()  # as sheets.sheet_date: a spreadsheet date-time's day
    if field in DATE_FIELDS and isinstance(value, date):
        return value.isoformat()
    return None


def raw_frame(sheet: SheetColumns) -> pl.DataFrame:
    """The sheet as text columns, with each record's position (`index`), sheet row and `odd`."""
    return sheet_frames.text_frame(sheet, TEXT_FIELDS, _cell_text)


def _labelled(field: str, labels: dict[str, str]) -> pl.Expr:
    lookup = {**labels, **{code: code for code in set(labels.values())}}
    return pl.col(field).replace_strict(lookup, default=None, return_dtype=pl.String)


def validate(
    frame: pl.DataFrame,
    *,
    county_code: str,
    year: int,
    labels: dict[str, dict[str, str]],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(plain rows normalised in `SCHEMA`, the rest as raw rows for the schema).

    `labels`: field → {Chinese label: code} as the sheet reads them (relation, 户口性质, 住房)."""
    try:
        _REQUEST.validate_python((county_code, year))
    except ValidationError:  # every row is refused: the schema says how
        return pl.DataFrame(schema=SCHEMA), frame
    citizen_id = pl.col("child_citizen_id").str.to_uppercase()
    check = sheet_frames.citizen_id_check_character(citizen_id)
    born_in_id = citizen_id.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
    codes = pl.col("choices").str.extract_all(f"[^{_CODE_SEPARATORS}]+")
    staged = frame.with_columns(
        citizen_id.alias("citizen_id"),
        pl.col("student_number").str.to_uppercase(),
        check.alias("check_character"),
        born_in_id.alias("born_in_id"),
        pl.col("grade").replace_strict(GRADES, default=None, return_dtype=pl.Int64),
        sheet_frames.sheet_date("birth_date"),
        sheet_frames.sheet_date("residence_permit_issued_on").alias("issued_on"),
        _labelled("guardian_relation", labels["guardian_relation"]),
        _labelled("hukou_type", labels["hukou_type"]),
        _labelled("housing", labels["housing"]),
        *[
            decimal(f).alias(f"{f}_number")
            for f in sorted(NUMBER_FIELDS - {"social_insurance_months"})
        ],
        pl.when(pl.col("social_insurance_months").str.contains(_MONTHS))
        .then(pl.col("social_insurance_months").cast(pl.Int64, strict=False))
        .alias("months"),
        pl.when(pl.col("choices").is_null())
        .then(pl.lit([], dtype=pl.List(pl.String)))
        .otherwise(codes)
        .alias("codes"),
    )
    hukou_location_blank = pl.col("hukou_longitude").is_null() & pl.col("hukou_latitude").is_null()
    hukou_location = within(pl.col("hukou_longitude_number"), 73.0, 135.5) & within(
        pl.col("hukou_latitude_number"), 3.5, 53.6
    )
    permit_blank = (
        pl.col("residence_permit_issued_on").is_null() & pl.col("residence_permit_number").is_null()
    )
    permit = pl.col("issued_on").is_not_null() & (
        pl.col("residence_permit_number").is_null()
        | (pl.col("residence_permit_number").str.len_chars() <= 40)
    )
    code = pl.element()
    plain = (
        ~pl.col("odd")
        & pl.col("grade").is_not_null()
        & pl.col("citizen_id").str.contains(r"^[0-9]{17}[0-9X]$")
        & (pl.col("check_character") == pl.col("citizen_id").str.slice(17, 1))
        & (pl.col("born_in_id").dt.year() >= 1)
        # no 学籍号, or the usual one: G + the ID just checked (J, L and the rest: the schema)
        & (
            pl.col("student_number").is_null()
            | (pl.col("student_number") == pl.concat_str(pl.lit("G"), pl.col("citizen_id")))
        )
        & length_between("child_name", 1, 50)
        & pl.col("birth_date").is_not_null()
        & length_between("guardian_name", 1, 50)
        & pl.col("guardian_relation").is_not_null()
        & pl.col("guardian_phone").str.contains(r"^1[0-9]{10}$")
        & pl.col("hukou_county_code").str.contains(r"^[0-9]{6}$")
        & pl.col("hukou_county_code").str.slice(0, 2).is_in(sorted(PROVINCES))
        & pl.col("hukou_type").is_not_null()
        & length_between("hukou_address", 2, 200)
        & (hukou_location_blank | hukou_location)
        & pl.col("housing").is_not_null()
        & (permit_blank | permit)
        & (
            pl.col("social_insurance_months").is_null()
            | (pl.col("months").is_not_null() & (pl.col("months") <= 600))
        )
        & length_between("home_address", 2, 200)
        & within(pl.col("home_longitude_number"), 73.0, 135.5)
        & within(pl.col("home_latitude_number"), 3.5, 53.6)
        & (pl.col("codes").list.len() <= 10)
        & (pl.col("codes").list.n_unique() == pl.col("codes").list.len())
        & pl.col("codes")
        .list.eval(
            code.str.contains(r"^[0-9]{10}$")
            & code.str.slice(0, 2).is_in(sorted(SCHOOL_CATEGORIES))
        )
        .list.all()
        & (
            pl.col("primary_school_code").is_null()
            | (
                pl.col("primary_school_code").str.contains(r"^[0-9]{10}$")
                & pl.col("primary_school_code").str.slice(0, 2).is_in(sorted(SCHOOL_CATEGORIES))
            )
        )
    ).fill_null(False)
    staged = staged.with_columns(plain.alias("plain"))
    good = (
        staged.filter(pl.col("plain"))
        .with_columns(
            pl.col("hukou_longitude_number").alias("hukou_longitude"),
            pl.col("hukou_latitude_number").alias("hukou_latitude"),
            pl.col("issued_on").alias("residence_permit_issued_on"),
            pl.when(pl.col("issued_on").is_not_null())
            .then(pl.col("residence_permit_number"))
            .alias("residence_permit_number"),
            pl.col("months").fill_null(0).alias("social_insurance_months"),
            pl.col("home_longitude_number").alias("home_longitude"),
            pl.col("home_latitude_number").alias("home_latitude"),
            pl.col("codes").alias("choices"),
        )
        .select(list(SCHEMA))
    )
    rest = frame.filter(~staged["plain"])
    return good, rest


def from_rows(
    indices: Sequence[int], numbers: Sequence[int], rows: Sequence[ApplicationCreate]
) -> pl.DataFrame:
    """Rows the schema validated, in the fast path's normalised shape."""
    hukou = [r.household.hukou for r in rows]
    permits = [r.household.residence_permit for r in rows]
    data: dict[str, list[Any]] = {
        "index": list(indices),
        "row": list(numbers),
        "grade": [r.grade for r in rows],
        "citizen_id": [r.child.citizen_id for r in rows],
        "student_number": [r.child.student_number for r in rows],
        "child_name": [r.child.name for r in rows],
        "birth_date": [r.child.birth_date for r in rows],
        "guardian_name": [r.guardian.name for r in rows],
        "guardian_relation": [r.guardian.relation for r in rows],
        "guardian_phone": [r.guardian.phone for r in rows],
        "hukou_county_code": [h.county_code for h in hukou],
        "hukou_type": [h.type for h in hukou],
        "hukou_address": [h.address for h in hukou],
        "hukou_longitude": [h.location.longitude if h.location else None for h in hukou],
        "hukou_latitude": [h.location.latitude if h.location else None for h in hukou],
        "housing": [r.household.housing for r in rows],
        "residence_permit_issued_on": [p.issued_on if p else None for p in permits],
        "residence_permit_number": [p.number if p else None for p in permits],
        "social_insurance_months": [r.household.social_insurance_months for r in rows],
        "home_address": [r.home.address for r in rows],
        "home_longitude": [r.home.longitude for r in rows],
        "home_latitude": [r.home.latitude for r in rows],
        "choices": [list(r.choices) for r in rows],
        "primary_school_code": [r.primary_school_code for r in rows],
    }
    return pl.DataFrame(data, schema=SCHEMA)


def guardian_json() -> pl.Expr:
    """The stored `guardian` document, as `Guardian.model_dump(mode="json")` gives it."""
    return pl.struct(
        name=pl.col("guardian_name"),
        relation=pl.col("guardian_relation"),
        phone=pl.col("guardian_phone"),
    ).struct.json_encode()


def household_json() -> pl.Expr:
    """The stored `household` document, as `Household.model_dump(mode="json")` gives it: the
    same keys in the same order, null where the request had none."""
    location = pl.when(pl.col("hukou_longitude").is_not_null()).then(
        pl.struct(longitude=pl.col("hukou_longitude"), latitude=pl.col("hukou_latitude"))
    )
    permit = pl.when(pl.col("residence_permit_issued_on").is_not_null()).then(
        pl.struct(
            issued_on=pl.col("residence_permit_issued_on").dt.to_string("%Y-%m-%d"),
            number=pl.col("residence_permit_number"),
        )
    )
    return pl.struct(
        hukou=pl.struct(
            county_code=pl.col("hukou_county_code"),
            type=pl.col("hukou_type"),
            address=pl.col("hukou_address"),
            location=location,
        ),
        housing=pl.col("housing"),
        residence_permit=permit,
        social_insurance_months=pl.col("social_insurance_months"),
    ).struct.json_encode()
