"""Cell checks of the register sheets (schools, zones' school lists) column by column.

As for the application sheet (`application_frame`): a sheet read by `junheng_kit.tabular.
read_columns` becomes a polars frame of text columns; *plain* rows (text in the shapes bureaus
normally write) are checked by vectorised expressions and normalised, and every other row — a
bad cell, a spreadsheet cell of a type the fast path does not read — goes to the register's
pydantic schema, which alone decides it and words its errors. The fast path accepts only rows
that schema accepts, with the same values (tested cell by cell in
`tests/imports/test_register_frames.py`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import polars as pl

from junheng_kit import sheet_frames
from junheng_kit.identifiers import PROVINCES, SCHOOL_CATEGORIES
from junheng_kit.tabular import SheetColumns

# the parts `sheets.split_codes` keeps; Rust's \s is a subset of Python's, so a cell the two
# would split differently keeps a separator inside a part, which then fails its check
CODE_PART = r"[^|、;；,，\s]+"
DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"


def text_frame(
    sheet: SheetColumns, fields: Sequence[str], *, numbers: Collection[str] = ()
) -> pl.DataFrame:
    """The sheet's `fields` as text (`sheet_frames.text_frame`); a row with a cell that is not
    text is `odd`, except a number in a `numbers` column, read as its own text."""

    def cell_text(value: Any, field: str) -> str | None:
        if field in numbers and isinstance(value, int | float) and not isinstance(value, bool):
            return repr(value)  # the float (or int) itself, parsed back exactly
        return None

    return sheet_frames.text_frame(sheet, fields, cell_text)


def school_code(expr: pl.Expr) -> pl.Expr:
    """`identifiers.check_school_code` passes: 10 ASCII digits of a known category."""
    return expr.str.contains(r"^[0-9]{10}$") & expr.str.slice(0, 2).is_in(sorted(SCHOOL_CATEGORIES))


def county_code(expr: pl.Expr) -> pl.Expr:
    """`identifiers.check_division_code` passes: 6 ASCII digits of a known province."""
    return expr.str.contains(r"^[0-9]{6}$") & expr.str.slice(0, 2).is_in(sorted(PROVINCES))


def length_between(field: str, low: int, high: int) -> pl.Expr:
    length = pl.col(field).str.len_chars()
    return pl.col(field).is_not_null() & (length >= low) & (length <= high)


def decimal(field: str) -> pl.Expr:
    """A plain decimal as a float (null otherwise: the schema reads exponents and the rest)."""
    return pl.when(pl.col(field).str.contains(DECIMAL)).then(
        pl.col(field).cast(pl.Float64, strict=False)
    )


def within(expr: pl.Expr, low: float, high: float) -> pl.Expr:
    return expr.is_not_null() & (expr >= low) & (expr <= high)


def code_list(field: str) -> pl.Expr:
    """A cell of codes joined by | 、 ; , or spaces as a list (empty when blank)."""
    return (
        pl.when(pl.col(field).is_null())
        .then(pl.lit([], dtype=pl.List(pl.String)))
        .otherwise(pl.col(field).str.extract_all(CODE_PART))
    )


def unique_list(expr: pl.Expr) -> pl.Expr:
    return expr.list.n_unique() == expr.list.len()
