"""Bureau spreadsheets in and out: CSV (UTF-8, with or without BOM) and XLSX.

A register declares its columns once (field name + the Chinese titles bureaus use); reading maps
whichever title a sheet uses to the field and keeps each record's sheet row number, so a
validation error can be reported as `rows[<sheet row>].<field>`; writing uses the first title.
Only parsing and layout live here; validating the values is the service's schema.

openpyxl is imported where it is used: every service that reads or writes XLSX depends on it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zipfile import BadZipFile

from junheng_kit.problems import BadRequest, FieldError, InvalidInput, UnsupportedMediaType

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
HEADER_ROW = 1


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a register: `titles[0]` is written on export; any title is read."""

    field: str
    titles: tuple[str, ...]
    required: bool = True
    text_width: int | None = None  # a code typed as a number gets its leading zeros back

    @property
    def title(self) -> str:
        return self.titles[0]


@dataclass(frozen=True, slots=True)
class SheetRecord:
    row: int  # 1-based sheet row (the header is row 1)
    values: dict[str, Any]


def media_type_of(content_type: str) -> str:
    """The CSV or XLSX media type of a Content-Type header, or 415 naming both."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in (CSV, XLSX):
        raise UnsupportedMediaType(
            "send the sheet as text/csv or as an XLSX workbook",
            FieldError("header.content-type", "media_type", f"{XLSX} or {CSV}"),
        )
    return media_type


def read_rows(content: bytes, media_type: str) -> list[list[Any]]:
    """Every row of the first sheet (XLSX) or of the file (CSV), header included."""
    if media_type == XLSX:
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
            workbook.close()
        except (BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
            raise BadRequest(
                "the body is not a readable XLSX workbook",
                FieldError("body", "xlsx_readable", type(exc).__name__),
            ) from exc
        return rows
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            "the CSV is not UTF-8", FieldError("body", "csv_utf8", "save it as CSV UTF-8")
        ) from exc
    return [list(r) for r in csv.reader(io.StringIO(text))]


def _cell(value: Any, column: Column) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if column.text_width is not None and isinstance(value, int | float) and value == int(value):
        return f"{int(value):0{column.text_width}d}"
    return value


def read_records(content: bytes, media_type: str, columns: Sequence[Column]) -> list[SheetRecord]:
    """Records keyed by field, blank cells left out, blank lines skipped; 400 naming every
    missing required column."""
    rows = read_rows(content, media_type)
    if not rows:
        raise BadRequest("the table is empty", FieldError("body", "rows_required"))
    by_title = {title: column for column in columns for title in (column.field, *column.titles)}
    header = [by_title.get(str(h or "").strip()) for h in rows[0]]
    present = {c.field for c in header if c is not None}
    missing = [c.title for c in columns if c.required and c.field not in present]
    if missing:
        raise BadRequest(
            "the table lacks required columns",
            *[FieldError("header", "column_required", title) for title in missing],
        )
    records = []
    for number, row in enumerate(rows[1:], start=HEADER_ROW + 1):
        values = {}
        for column, cell in zip(header, row, strict=False):
            if column is not None:
                value = _cell(cell, column)
                if value is not None:
                    values[column.field] = value
        if values:
            records.append(SheetRecord(number, values))
    return records


def row_errors(row: int, errors: Iterable[FieldError]) -> list[FieldError]:
    """A row's field errors renamed `rows[<sheet row>].<field>`."""
    return [FieldError(f"rows[{row}].{e.field}", e.rule, e.message) for e in errors]


def reject_rows(errors: Sequence[FieldError], *, limit: int = 1000) -> None:
    """Raise 422 with every bad cell (up to `limit`) if any: one bad row imports nothing."""
    if not errors:
        return
    rows = {e.field.split(".", 1)[0] for e in errors}
    shown = list(errors[:limit])
    more = f" (first {limit} of {len(errors)} errors shown)" if len(errors) > limit else ""
    raise InvalidInput(f"{len(rows)} row(s) are invalid; nothing was imported{more}", *shown)


def write_xlsx(columns: Sequence[Column], rows: Iterable[Sequence[Any]], sheet_title: str) -> bytes:
    """One sheet: the columns' first titles, then the rows (streamed, write-only mode)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.append([c.title for c in columns])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write_csv(columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM, so spreadsheet programs read the Chinese titles correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.title for c in columns])
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")
