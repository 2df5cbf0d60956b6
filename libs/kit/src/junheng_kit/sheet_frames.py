"""Pieces of the services' column-wise sheet checks (polars): the sheet as a frame of text
columns, dates as bureaus write them, the 公民身份号码 check character.

Each service's fast path recognises *plain* rows with these and sends every other row to its
pydantic row schema, which stays the authority for what is valid and for every message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from junheng_kit.identifiers import CITIZEN_ID_CHECK_CHARACTERS, CITIZEN_ID_WEIGHTS
from junheng_kit.tabular import SheetColumns

CellText = Callable[[Any, str], str | None]
"""(cell, field) → the text the fast path reads for a cell that is not text, or None when the
row schema must decide on it (the row is then `odd`)."""


def _no_other_cells(value: Any, field: str) -> str | None:
    return None


def text_frame(
    sheet: SheetColumns, fields: Sequence[str], cell_text: CellText = _no_other_cells
) -> pl.DataFrame:
    """`index` (position in the sheet), `row` (sheet row), each field as text, and `odd`: the
    row has a cell `cell_text` cannot read."""
    odd = [False] * len(sheet.rows)
    columns = []
    for field in fields:
        values = sheet.values[field]
        if not all(v is None or isinstance(v, str) for v in values):
            out: list[str | None] = []
            for index, value in enumerate(values):
                if value is None or isinstance(value, str):
                    out.append(value)
                    continue
                text = cell_text(value, field)
                if text is None:
                    odd[index] = True
                out.append(text)
            values = out
        columns.append(pl.Series(field, values, dtype=pl.String))
    return pl.DataFrame(
        [
            pl.Series("index", range(len(sheet.rows)), dtype=pl.Int64),
            pl.Series("row", sheet.rows, dtype=pl.Int64),
            *columns,
            pl.Series("odd", odd, dtype=pl.Boolean),
        ]
    )


def sheet_date(field: str) -> pl.Expr:
    """2019-03-15, or 2019/3/15 and 2019.3.15 rewritten so; a day before year 1 (which Python
    cannot hold) or anything else is null (the row schema decides on it)."""
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
    parsed = iso.str.to_date("%Y-%m-%d", strict=False)
    return pl.when(parsed.dt.year() >= 1).then(parsed)


def citizen_id_check_character(citizen_id: pl.Expr) -> pl.Expr:
    """GB 11643's MOD 11-2 check character of the first 17 characters, to compare with the 18th
    (meaningful for 17 digits only: check the shape beside it)."""
    digits = [
        citizen_id.str.slice(i, 1).cast(pl.Int64, strict=False) * weight
        for i, weight in enumerate(CITIZEN_ID_WEIGHTS)
    ]
    return (pl.sum_horizontal(digits) % 11).replace_strict(
        dict(enumerate(CITIZEN_ID_CHECK_CHARACTERS)), default=None, return_dtype=pl.String
    )
