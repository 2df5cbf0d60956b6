"""Bureau spreadsheets in and out: CSV (UTF-8, with or without BOM) and XLSX.

A register declares its columns once (field name + the Chinese titles bureaus use); reading maps
whichever title a sheet uses to the field and keeps each record's sheet row number, so a
validation error can be reported as `rows[<sheet row>].<field>`; writing uses the first title.
Only parsing and layout live here; validating the values is the service's schema.

openpyxl is imported where it is used: every service that reads or writes XLSX depends on it.
`engine="calamine"` reads XLSX with fastexcel (Rust calamine; docs/performance.md) when
every column holds one cell type, and falls back to openpyxl otherwise, so the values a register
sees are the same either way.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from zipfile import BadZipFile

from junheng_kit.i18n import t
from junheng_kit.problems import BadRequest, FieldError, InvalidInput, UnsupportedMediaType

if TYPE_CHECKING:
    import polars as pl
    from fastexcel import DTypeMap

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
SHEET_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            XLSX: {"schema": {"type": "string", "format": "binary"}},
            CSV: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
"""`openapi_extra=` of an import endpoint: the body is an XLSX or CSV sheet, read raw."""
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
            t(
                "请以 text/csv 或 XLSX 工作簿发送表格",
                "send the sheet as text/csv or as an XLSX workbook",
            ),
            FieldError(
                "header.content-type", "media_type", t(f"{XLSX} 或 {CSV}", f"{XLSX} or {CSV}")
            ),
        )
    return media_type


XlsxEngine = Literal["openpyxl", "calamine"]


# what Python's str.strip() strips (str.isspace); polars' default strips a smaller set
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _calamine_frame(content: bytes) -> tuple[list[Any], pl.DataFrame] | None:
    """The first sheet through fastexcel as (header cells, a frame of the cells below the
    header), or None when a column mixes cell types (dates and text, numbers and text): openpyxl
    then reads it, so a mixed column keeps its cells' own types. Blank rows stay in place, so
    sheet row numbers do not shift.

    Two loads, as calamine parses the whole sheet for either: every cell as text first (the
    header titles, and which columns hold no cell below the header), then the typed cells, with
    a blank column asked for as text — calamine cannot infer a type from no cell and would log
    "Could not determine dtype for column …" for each."""
    import fastexcel
    import polars as pl

    try:
        reader = fastexcel.read_excel(content)
        text = reader.load_sheet(0, header_row=None, dtypes="string").to_polars()
        if text.height == 0:
            return [], pl.DataFrame()
        header = list(text.row(0))
        below = text.slice(1)
        counts = below.null_count().row(0)
        blank: DTypeMap = {i: "string" for i, nulls in enumerate(counts) if nulls == below.height}
        frame = reader.load_sheet(
            0,
            header_row=0,
            schema_sample_rows=None,
            dtype_coercion="strict",
            dtypes=blank or None,
        ).to_polars()
    except fastexcel.FastExcelError:  # mixed column, unreadable file: openpyxl decides
        return None
    if frame.width != len(header) or frame.height != below.height:
        return None
    whole = [  # a number typed as 12 reads as 12, not 12.0, as openpyxl gives it
        name
        for name, dtype in frame.schema.items()
        if dtype == pl.Float64 and bool((frame[name] == frame[name].floor()).all())
    ]
    return header, frame.with_columns(pl.col(whole).cast(pl.Int64))


def _calamine_columns(content: bytes) -> tuple[list[Any], list[list[Any]]] | None:
    table = _calamine_frame(content)
    if table is None:
        return None
    header, frame = table
    return header, [frame.to_series(i).to_list() for i in range(frame.width)]


def _calamine_rows(content: bytes) -> list[list[Any]] | None:
    table = _calamine_columns(content)
    if table is None:
        return None
    header, cells = table
    return [header, *(list(r) for r in zip(*cells, strict=True))] if header else []


def read_rows(
    content: bytes, media_type: str, *, engine: XlsxEngine = "openpyxl"
) -> list[list[Any]]:
    """Every row of the first sheet (XLSX) or of the file (CSV), header included."""
    if media_type == XLSX and engine == "calamine":
        rows = _calamine_rows(content)
        if rows is not None:
            return rows
    if media_type == XLSX:
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
            workbook.close()
        except (BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
            raise BadRequest(
                t("请求体不是可读取的 XLSX 工作簿", "the body is not a readable XLSX workbook"),
                FieldError("body", "xlsx_readable", type(exc).__name__),
            ) from exc
        return rows
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            t("CSV 不是 UTF-8 编码", "the CSV is not UTF-8"),
            FieldError("body", "csv_utf8", t("请另存为 CSV UTF-8", "save it as CSV UTF-8")),
        ) from exc
    return [list(r) for r in csv.reader(io.StringIO(text))]


def _cell(value: Any, column: Column) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if column.text_width is not None and isinstance(value, int | float) and value == int(value):
        return f"{int(value):0{column.text_width}d}"
    return value


def read_records(
    content: bytes,
    media_type: str,
    columns: Sequence[Column],
    *,
    engine: XlsxEngine = "openpyxl",
) -> list[SheetRecord]:
    """Records keyed by field, blank cells left out, blank lines skipped; 400 naming every
    missing required column."""
    rows = read_rows(content, media_type, engine=engine)
    if not rows:
        raise BadRequest(t("表格为空", "the table is empty"), FieldError("body", "rows_required"))
    by_title = {title: column for column in columns for title in (column.field, *column.titles)}
    header = [by_title.get(str(h or "").strip()) for h in rows[0]]
    present = {c.field for c in header if c is not None}
    missing = [c.title for c in columns if c.required and c.field not in present]
    if missing:
        raise BadRequest(
            t("表格缺少必需的列", "the table lacks required columns"),
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


@dataclass(frozen=True, slots=True)
class SheetColumns:
    """The records of `read_records` column by column: `rows[i]` is the sheet row of position i
    and `values[field][i]` its cell (None when blank or when the sheet lacks the column).
    `present`: the fields whose column the sheet has (None: not known, as if every one), so an
    importer can tell a blank column from one an older template lacks."""

    rows: list[int]
    values: dict[str, list[Any]]
    present: frozenset[str] | None = None

    def has_column(self, field: str) -> bool:
        return self.present is None or field in self.present

    def record(self, index: int) -> SheetRecord:
        cells = {f: v[index] for f, v in self.values.items() if v[index] is not None}
        return SheetRecord(self.rows[index], cells)


def _clean(cells: Sequence[Any], column: Column) -> list[Any]:
    if all(type(c) is str for c in cells):
        return [c.strip() or None for c in cells]
    return [_cell(c, column) for c in cells]


def _missing_columns(titles: Sequence[Any], columns: Sequence[Column]) -> list[Column | None]:
    """Each title's column (None: not one of the register's); 400 naming every missing one."""
    if not titles:
        raise BadRequest(t("表格为空", "the table is empty"), FieldError("body", "rows_required"))
    by_title = {title: column for column in columns for title in (column.field, *column.titles)}
    header = [by_title.get(str(h or "").strip()) for h in titles]
    present = {c.field for c in header if c is not None}
    missing = [c.title for c in columns if c.required and c.field not in present]
    if missing:
        raise BadRequest(
            t("表格缺少必需的列", "the table lacks required columns"),
            *[FieldError("header", "column_required", title) for title in missing],
        )
    return header


def _merged(earlier: list[Any] | None, cleaned: list[Any]) -> list[Any]:
    """Two columns of one field (two of its titles): a cell of the later one wins."""
    if earlier is None:
        return cleaned
    return [new if new is not None else old for old, new in zip(earlier, cleaned, strict=True)]


def _frame_columns(
    titles: list[Any], frame: pl.DataFrame, columns: Sequence[Column]
) -> SheetColumns:
    """`read_columns` of a calamine frame: text stripped, codes padded and blank lines found by
    polars expressions; cells of other types are kept as they are (`_cell` leaves them alone)
    but in a code column that is not all text or whole numbers, cleaned cell by cell."""
    import polars as pl

    header = _missing_columns(titles, columns)
    values: dict[str, list[Any]] = {}
    filled: list[pl.Series] = []
    for position, column in enumerate(header):
        if column is None or frame.height == 0:
            continue
        series = frame.to_series(position)
        if series.dtype == pl.String:
            stripped = series.str.strip_chars(_WHITESPACE)
            series = pl.select(pl.when(stripped != "").then(stripped)).to_series()
        elif series.dtype == pl.Int64 and column.text_width is not None:
            series = series.cast(pl.String).str.zfill(column.text_width)
        elif column.text_width is not None:  # a code column of fractions, booleans, dates
            cells = [_cell(c, column) for c in series.to_list()]
            filled.append(pl.Series([c is not None for c in cells], dtype=pl.Boolean))
            values[column.field] = _merged(values.get(column.field), cells)
            continue
        filled.append(series.is_not_null())
        values[column.field] = _merged(values.get(column.field), series.to_list())
    if filled:
        kept_mask = pl.select(pl.any_horizontal(filled)).to_series()
        kept = kept_mask.arg_true().to_list()
    else:
        kept = []
    if len(kept) != frame.height:
        values = {field: [cells[i] for i in kept] for field, cells in values.items()}
    blank = [None] * len(kept)
    return SheetColumns(
        [i + HEADER_ROW + 1 for i in kept],
        {c.field: values[c.field] if c.field in values else list(blank) for c in columns},
        frozenset(c.field for c in header if c is not None),
    )


def read_columns(
    content: bytes,
    media_type: str,
    columns: Sequence[Column],
    *,
    engine: XlsxEngine = "openpyxl",
) -> SheetColumns:
    """What `read_records` reads (same cleaning, same skipped blank lines, same 400s), as
    columns: no dict per row, for registers imported set-based. With `engine="calamine"` an XLSX
    sheet is read by fastexcel and cleaned column-wise (openpyxl still reads a sheet with a
    column of mixed cell types)."""
    if media_type == XLSX and engine == "calamine":
        table = _calamine_frame(content)
        if table is not None:
            return _frame_columns(*table, columns)
    rows = read_rows(content, media_type)
    titles, body = (rows[0], rows[1:]) if rows else ([], [])
    header = _missing_columns(titles, columns)
    width = len(titles)
    cells_by_position: Sequence[Sequence[Any]] = list(
        zip(*(r[:width] + [None] * (width - len(r)) for r in body), strict=True)
    )
    values: dict[str, list[Any]] = {}
    for position, column in enumerate(header):
        if column is None or not cells_by_position:
            continue
        values[column.field] = _merged(
            values.get(column.field), _clean(cells_by_position[position], column)
        )
    kept = (
        [
            i
            for i, cells in enumerate(zip(*values.values(), strict=True))
            if any(c is not None for c in cells)
        ]
        if values
        else []
    )
    blank = [None] * len(kept)
    return SheetColumns(
        [i + HEADER_ROW + 1 for i in kept],
        {
            c.field: ([values[c.field][i] for i in kept] if c.field in values else list(blank))
            for c in columns
        },
        frozenset(c.field for c in header if c is not None),
    )


_TYPED_DATE = re.compile(r"^\s*(\d{4})[/.](\d{1,2})[/.](\d{1,2})\s*$")


def sheet_date_text(value: Any) -> Any:
    """A date cell as bureaus type it — `2010/9/1`, `2010.09.01` — as ISO text (`2010-09-01`);
    any other value as it is (a spreadsheet date, ISO text, or a cell the schema will refuse)."""
    if isinstance(value, str):
        match = _TYPED_DATE.match(value)
        if match is not None:
            year, month, day = match.groups()
            return f"{year}-{int(month):02d}-{int(day):02d}"
    return value


def row_errors(row: int, errors: Iterable[FieldError]) -> list[FieldError]:
    """A row's field errors renamed `rows[<sheet row>].<field>`."""
    return [FieldError(f"rows[{row}].{e.field}", e.rule, e.message) for e in errors]


def reject_rows(errors: Sequence[FieldError], *, limit: int = 1000) -> None:
    """Raise 422 with every bad cell (up to `limit`) if any: one bad row imports nothing."""
    if not errors:
        return
    rows = {e.field.split(".", 1)[0] for e in errors}
    shown = list(errors[:limit])
    capped = len(errors) > limit
    more = t(
        f"（共 {len(errors)} 个错误，显示前 {limit} 个）",
        f" (first {limit} of {len(errors)} errors shown)",
    )
    raise InvalidInput(
        t(
            f"{len(rows)} 行数据有误，未导入任何内容",
            f"{len(rows)} row(s) are invalid; nothing was imported",
        )
        + (more if capped else ""),
        *shown,
    )


# characters an XLSX cell cannot hold (C0 controls but tab, newline and carriage return)
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_safe(value: Any) -> Any:
    """`value` with every string (also inside dicts, lists and tuples) stripped of the control
    characters a spreadsheet cell cannot hold; openpyxl refuses them with an error, so text a
    caller once stored with a stray \\x0b would otherwise break every XLSX it appears in."""
    if isinstance(value, str):
        return _XLSX_ILLEGAL.sub("", value)
    if isinstance(value, dict):
        return {key: xlsx_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [xlsx_safe(item) for item in value]
    if isinstance(value, tuple):
        return tuple(xlsx_safe(item) for item in value)
    return value


def write_xlsx(columns: Sequence[Column], rows: Iterable[Sequence[Any]], sheet_title: str) -> bytes:
    """One sheet: the columns' first titles, then the rows (streamed, write-only mode)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.append([c.title for c in columns])
    for row in rows:
        sheet.append(xlsx_safe(list(row)))
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
