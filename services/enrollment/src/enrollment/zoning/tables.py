"""CSV (and XLSX) in, CSV out for zoning: points to look up (`id,longitude,latitude`), child
counts and resident population by zone. XLSX is read by calamine (the kit's `read_rows`), CSV
by the csv module.

Headers may be the API's field names or the Chinese titles bureaus use. Every bad cell is
reported as `rows[<line>].<field>` (the header is line 1); one bad row and nothing is used.
"""

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import TypeAdapter, ValidationError

from enrollment.zoning.rules import LATITUDE_RANGE, LONGITUDE_RANGE
from junheng_kit.i18n import t as tt
from junheng_kit.problems import (
    BadRequest,
    FieldError,
    InvalidInput,
    UnsupportedMediaType,
    validation_field_errors,
)
from junheng_kit.tabular import read_rows

T = TypeVar("T")

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON = "application/json"
MAX_REPORTED_ERRORS = 100

POINT_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "编号"),
    "longitude": ("longitude", "经度", "lon", "lng"),
    "latitude": ("latitude", "纬度", "lat"),
}
COHORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "zone_code": ("zone_code", "片区代码"),
    "birth_year": ("birth_year", "出生年份"),
    "birth_month": ("birth_month", "出生月份"),
    "grade": ("grade", "年级"),
    "children": ("children", "人数", "儿童数"),
}
COHORT_REQUIRED = ("zone_code", "children")
RESIDENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "zone_code": ("zone_code", "片区代码"),
    "level": ("level", "学段"),
    "residents": ("residents", "常住人口", "常住人口数"),
}
LEVEL_TITLES = {"小学": "primary", "初中": "junior"}  # a 学段 cell may hold the Chinese name


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 1e15:
        return str(int(cell))  # a spreadsheet's 2020.0 is the year 2020
    return str(cell)


def _xlsx_rows(content: bytes) -> list[tuple[int, list[str]]]:
    """The first sheet's rows through the kit's calamine reader (openpyxl for a column that
    mixes cell types, and for the 400 of an unreadable workbook); blank rows keep their place."""
    return [
        (line, [_text(c) for c in row])
        for line, row in enumerate(read_rows(content, XLSX, engine="calamine"), start=1)
    ]


def _csv_rows(content: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            tt("CSV 不是 UTF-8 编码", "the CSV is not UTF-8"),
            FieldError("body", "csv_utf8", tt("请另存为 CSV UTF-8", "save it as CSV UTF-8")),
        ) from exc
    reader = csv.reader(io.StringIO(text))
    return [(reader.line_num, row) for row in reader]


def _rows(content: bytes, media_type: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line, cells) of every non-blank row: CSV (UTF-8, BOM allowed) or the first
    sheet of an XLSX workbook."""
    rows = _xlsx_rows(content) if media_type == XLSX else _csv_rows(content)
    if not rows:
        raise BadRequest(tt("表格为空", "the table is empty"), FieldError("body", "rows_required"))
    header = [h.strip() for h in rows[0][1]]
    return header, [(line, row) for line, row in rows[1:] if any(c.strip() for c in row)]


def _positions(
    header: list[str], columns: dict[str, tuple[str, ...]], required: Sequence[str]
) -> dict[str, int]:
    found: dict[str, int] = {}
    for position, title in enumerate(header):
        for name, titles in columns.items():
            if title in titles and name not in found:
                found[name] = position
    missing = [columns[name][0] for name in required if name not in found]
    if missing:
        raise BadRequest(
            tt("表格缺少必需的列", "the table lacks required columns"),
            *[FieldError("header", "column_required", name) for name in missing],
        )
    return found


def _cell(row: list[str], position: int | None) -> str:
    if position is None or position >= len(row):
        return ""
    return row[position].strip()


def _to_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


@dataclass(frozen=True, slots=True)
class PointTable:
    ids: list[str]
    longitude: npt.NDArray[np.float64]
    latitude: npt.NDArray[np.float64]


def _coordinates(
    texts: list[str],
    lines: list[int],
    name: str,
    bounds: tuple[float, float],
    errors: list[FieldError],
) -> npt.NDArray[np.float64]:
    values = np.fromiter((_to_float(t) for t in texts), dtype=np.float64, count=len(texts))
    bad = ~(np.isfinite(values) & (values >= bounds[0]) & (values <= bounds[1]))
    for i in np.flatnonzero(bad).tolist():
        if math.isnan(_to_float(texts[i])) and texts[i].lower() != "nan":
            errors.append(
                FieldError(
                    f"rows[{lines[i]}].{name}",
                    "number",
                    tt(f"{texts[i]!r} 不是数字", f"{texts[i]!r} is not a number"),
                )
            )
        else:
            errors.append(
                FieldError(
                    f"rows[{lines[i]}].{name}",
                    f"{name}_range",
                    tt(
                        f"中国境内的 WGS 84 {name}：{bounds[0]}–{bounds[1]}",
                        f"WGS 84 {name} within China: {bounds[0]}–{bounds[1]}",
                    ),
                )
            )
    return values


def read_points(content: bytes, media_type: str = "text/csv") -> PointTable:
    """Points to look up from `id,longitude,latitude`; coordinates are parsed in bulk."""
    header, rows = _rows(content, media_type)
    at = _positions(header, POINT_COLUMNS, ("id", "longitude", "latitude"))
    lines = [line for line, _ in rows]
    ids = [_cell(row, at["id"]) for _, row in rows]
    errors: list[FieldError] = [
        FieldError(
            f"rows[{line}].id",
            "id_required",
            tt("每个点都需要 id（1–64 个字符）", "every point needs an id (1–64 characters)"),
        )
        for line, value in zip(lines, ids, strict=True)
        if not value or len(value) > 64
    ]
    longitude = _coordinates(
        [_cell(r, at["longitude"]) for _, r in rows], lines, "longitude", LONGITUDE_RANGE, errors
    )
    latitude = _coordinates(
        [_cell(r, at["latitude"]) for _, r in rows], lines, "latitude", LATITUDE_RANGE, errors
    )
    if not rows:
        errors.append(
            FieldError(
                "body",
                "rows_required",
                tt("表格只有表头，没有点", "the table has a header and no points"),
            )
        )
    if errors:
        raise_row_errors(errors)
    return PointTable(ids, longitude, latitude)


def raise_row_errors(errors: list[FieldError]) -> None:
    rows = len({e.field.split(".")[0] for e in errors})
    shown = errors[:MAX_REPORTED_ERRORS]
    more = tt(
        f"（共 {len(errors)} 个错误，显示前 {len(shown)} 个）",
        f" (first {len(shown)} of {len(errors)} errors shown)",
    )
    raise InvalidInput(
        tt(f"{rows} 行数据有误，未使用任何内容", f"{rows} row(s) are invalid; nothing was used")
        + (more if len(errors) > len(shown) else ""),
        *shown,
    )


def _records(
    content: bytes,
    media_type: str,
    columns: dict[str, tuple[str, ...]],
    required: Sequence[str],
) -> list[tuple[int, dict[str, Any]]]:
    """(line, record) per row; blank cells are left out, so the row schema decides what is
    missing."""
    header, rows = _rows(content, media_type)
    at = _positions(header, columns, required)
    out = []
    for line, row in rows:
        record = {name: _cell(row, position) for name, position in at.items()}
        out.append((line, {k: v for k, v in record.items() if v != ""}))
    if not out:
        raise BadRequest(
            tt("表格只有表头，没有数据行", "the table has a header and no rows"),
            FieldError("body", "rows_required"),
        )
    return out


def read_cohorts(content: bytes, media_type: str = "text/csv") -> list[tuple[int, dict[str, Any]]]:
    """(line, record) per row of `zone_code,birth_year,birth_month,grade,children`."""
    return _records(content, media_type, COHORT_COLUMNS, COHORT_REQUIRED)


def read_residents(
    content: bytes, media_type: str = "text/csv"
) -> list[tuple[int, dict[str, Any]]]:
    """(line, record) per row of `zone_code,level,residents` (片区代码, 学段, 常住人口); a 学段 of
    小学 / 初中 reads as primary / junior."""
    records = _records(content, media_type, RESIDENT_COLUMNS, tuple(RESIDENT_COLUMNS))
    for _, record in records:
        if "level" in record:
            record["level"] = LEVEL_TITLES.get(record["level"], record["level"])
    return records


def write_point_zones(rows: list[tuple[str, str | None, str | None, Sequence[str]]]) -> str:
    """`id,zone_code,zone_type,school_codes` (codes joined by `|`; empty outside every zone)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "zone_code", "zone_type", "school_codes"])
    writer.writerows((i, zone or "", kind or "", "|".join(codes)) for i, zone, kind, codes in rows)
    return out.getvalue()


def read_json(adapter: TypeAdapter[T], content: bytes) -> T:
    """A JSON body validated like FastAPI's own: problem+json naming every bad field."""
    try:
        return adapter.validate_json(content)
    except ValidationError as exc:
        errors = validation_field_errors(exc.errors())
        if any(e.rule == "json_invalid" for e in errors):
            raise BadRequest(
                tt("请求体不是有效的 JSON", "request body is not valid JSON"), *errors
            ) from exc
        raise InvalidInput(
            tt("请求不符合接口定义", "request does not match the schema"),
            *errors[:MAX_REPORTED_ERRORS],
        ) from exc


def media_type_of(content_type: str, allowed: Sequence[str]) -> str:
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in allowed:
        raise UnsupportedMediaType(
            tt(
                f"请以 {' 或 '.join(allowed)} 发送请求体",
                f"send the body as {' or '.join(allowed)}",
            ),
            FieldError("header.content-type", "media_type", " or ".join(allowed)),
        )
    return media_type


def prefers_csv(accept: str) -> bool:
    """Does the Accept header rank text/csv above application/json? (ties: JSON)"""
    quality = {JSON: 0.0, CSV: 0.0}
    for part in accept.split(","):
        media_type, *parameters = (p.strip() for p in part.split(";"))
        q = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        for candidate in quality:
            if media_type.lower() in (candidate, "*/*", candidate.split("/")[0] + "/*"):
                exact = media_type.lower() == candidate
                quality[candidate] = max(quality[candidate], q if exact else q * 0.999)
    return quality[CSV] > quality[JSON]
