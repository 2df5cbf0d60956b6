"""Reading a bureau's resource spreadsheet (CSV or XLSX) into section rows.

Headers may be the API's field names or the Chinese column titles bureaus use; 学段 accepts
小学/初中 as well as primary/junior. Parsing only: validation is the API schema's, per row.
"""

import csv
import io
from typing import Any
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from junheng_kit.problems import BadRequest, FieldError

COLUMNS: dict[str, tuple[str, ...]] = {
    "school_code": ("school_code", "学校标识码", "学校代码"),
    "name": ("name", "学校名称"),
    "level": ("level", "学段"),
    "students": ("students", "在校生数", "学生数"),
    "teachers_above_required_degree": ("teachers_above_required_degree", "高于规定学历教师数"),
    "backbone_teachers": ("backbone_teachers", "县级及以上骨干教师数", "骨干教师数"),
    "pe_arts_teachers": ("pe_arts_teachers", "体育艺术专任教师数", "体艺教师数"),
    "teaching_auxiliary_area_m2": (
        "teaching_auxiliary_area_m2",
        "教学及辅助用房面积",
        "教学及辅助用房面积(m²)",
    ),
    "sports_venue_area_m2": ("sports_venue_area_m2", "体育运动场馆面积", "体育运动场馆面积(m²)"),
    "equipment_value_yuan": ("equipment_value_yuan", "教学仪器设备值", "教学仪器设备值(元)"),
    "multimedia_classrooms": ("multimedia_classrooms", "网络多媒体教室数"),
}
LEVEL_NAMES = {"小学": "primary", "初中": "junior", "primary": "primary", "junior": "junior"}
TEMPLATE_HEADERS = [titles[1] for titles in COLUMNS.values()]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"


def _field_of(header: Any) -> str | None:
    text = str(header or "").strip()
    for field, titles in COLUMNS.items():
        if text in titles:
            return field
    return None


def _records(header: list[Any], body: list[list[Any]]) -> list[dict[str, Any]]:
    fields = [_field_of(h) for h in header]
    missing = [titles[1] for field, titles in COLUMNS.items() if field not in fields]
    if missing:
        raise BadRequest(
            "the table lacks required columns",
            *[FieldError("header", "column_required", title) for title in missing],
        )
    records = []
    for row in body:
        if all(cell is None or str(cell).strip() == "" for cell in row):
            continue  # blank lines at the end of a sheet
        record: dict[str, Any] = {}
        for field, cell in zip(fields, row, strict=False):
            if field is None:
                continue
            value = cell.strip() if isinstance(cell, str) else cell
            if field == "level" and isinstance(value, str):
                value = LEVEL_NAMES.get(value, value)
            if field == "school_code" and isinstance(value, int | float):
                value = f"{int(value):010d}"  # a code typed as a number lost nothing but zeros
            if value is not None and value != "":
                record[field] = value
        records.append(record)
    return records


def read_table(content: bytes, media_type: str) -> list[dict[str, Any]]:
    """Rows of the first sheet (XLSX) or of the file (CSV, UTF-8 with or without BOM)."""
    if media_type == XLSX:
        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
            raise BadRequest(
                "the body is not a readable XLSX workbook",
                FieldError("body", "xlsx_readable", type(exc).__name__),
            ) from exc
        rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
        workbook.close()
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadRequest(
                "the CSV is not UTF-8", FieldError("body", "csv_utf8", "save it as CSV UTF-8")
            ) from exc
        rows = [list(r) for r in csv.reader(io.StringIO(text))]
    if not rows:
        raise BadRequest("the table is empty", FieldError("body", "rows_required"))
    return _records(rows[0], rows[1:])


def write_xlsx(rows: list[dict[str, Any]]) -> bytes:
    """A sheet with the Chinese column titles and 学段 as 小学/初中, as bureaus keep it."""
    from openpyxl import Workbook

    level_titles = {value: title for title, value in LEVEL_NAMES.items() if title != value}
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "学校资源配置"
    sheet.append(TEMPLATE_HEADERS)
    for row in rows:
        sheet.append(
            [level_titles.get(row[f], row[f]) if f == "level" else row[f] for f in COLUMNS]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_xlsx() -> bytes:
    """An empty sheet with the Chinese column titles and one example row, to fill in."""
    return write_xlsx(
        [
            {
                "school_code": "2115060001",
                "name": "东胜区第一小学",
                "level": "primary",
                "students": 1200,
                "teachers_above_required_degree": 60,
                "backbone_teachers": 14,
                "pe_arts_teachers": 12,
                "teaching_auxiliary_area_m2": 6000,
                "sports_venue_area_m2": 9600,
                "equipment_value_yuan": 2600000,
                "multimedia_classrooms": 30,
            }
        ]
    )
