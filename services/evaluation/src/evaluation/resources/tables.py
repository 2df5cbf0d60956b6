"""Reading a bureau's resource spreadsheet (CSV or XLSX) into section rows.

Headers may be the API's field names or the Chinese column titles bureaus use; 学段 accepts
小学/初中 as well as primary/junior; the optional 教学点 column takes 是/否 (or true/false, 1/0;
blank or absent: not a teaching point). Parsing is the kit's (`junheng_kit.tabular`: sheet row
numbers kept, blank lines skipped, codes typed as numbers get their zeros back); validation is
the API schema's, per row.
"""

import io
from typing import Any

from junheng_kit.tabular import CSV, XLSX, Column, SheetRecord, read_records

__all__ = ["COLUMNS", "CSV", "XLSX", "read_table", "template_xlsx", "write_xlsx"]

COLUMNS = (
    Column("school_code", ("学校标识码", "学校代码"), text_width=10),
    Column("name", ("学校名称",)),
    Column("level", ("学段",)),
    Column("students", ("在校生数", "学生数")),
    Column("teachers_above_required_degree", ("高于规定学历教师数",)),
    Column("backbone_teachers", ("县级及以上骨干教师数", "骨干教师数")),
    Column("pe_arts_teachers", ("体育艺术专任教师数", "体艺教师数")),
    Column("teaching_auxiliary_area_m2", ("教学及辅助用房面积", "教学及辅助用房面积(m²)")),
    Column("sports_venue_area_m2", ("体育运动场馆面积", "体育运动场馆面积(m²)")),
    Column("equipment_value_yuan", ("教学仪器设备值", "教学仪器设备值(元)")),
    Column("multimedia_classrooms", ("网络多媒体教室数",)),
    # optional: a sheet without it stores every section as no teaching point
    Column("teaching_point", ("教学点", "是否教学点"), required=False),
    # optional: a sheet without it stores every section as an ordinary school
    Column("special_education", ("特殊教育学校", "是否特殊教育学校"), required=False),
)
YES_NO_FIELDS = ("teaching_point", "special_education")
FIELDS = [c.field for c in COLUMNS]
LEVEL_NAMES = {"小学": "primary", "初中": "junior", "primary": "primary", "junior": "junior"}
# 教学点 / 特殊教育学校 cells as bureaus write them; anything else goes to the schema (true/false…)
YES_NO_NAMES = {"是": True, "否": False}
TEMPLATE_HEADERS = [c.title for c in COLUMNS]


def read_table(content: bytes, media_type: str) -> list[SheetRecord]:
    """Records of the first sheet (XLSX) or of the file (CSV, UTF-8 with or without BOM)."""
    records = read_records(content, media_type, COLUMNS)
    for record in records:
        level = record.values.get("level")
        if isinstance(level, str):
            record.values["level"] = LEVEL_NAMES.get(level, level)
        for field in YES_NO_FIELDS:
            marked = record.values.get(field)
            if isinstance(marked, str):
                record.values[field] = YES_NO_NAMES.get(marked, marked)
    return records


def write_xlsx(rows: list[dict[str, Any]]) -> bytes:
    """A sheet with the Chinese column titles, 学段 as 小学/初中, 教学点 and 特殊教育学校 as 是/否,
    as bureaus keep it (a row without them is an ordinary school)."""
    from openpyxl import Workbook

    level_titles = {value: title for title, value in LEVEL_NAMES.items() if title != value}
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "学校资源配置"
    sheet.append(TEMPLATE_HEADERS)
    for row in rows:
        sheet.append([_cell(row, field, level_titles) for field in FIELDS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(row: dict[str, Any], field: str, level_titles: dict[str, str]) -> Any:
    if field == "level":
        return level_titles.get(row[field], row[field])
    if field in YES_NO_FIELDS:
        return "是" if row.get(field) else "否"
    return row[field]


def template_xlsx() -> bytes:
    """The Chinese column titles and two example rows to replace: a school and a teaching
    point (教学点 是)."""
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
            },
            {
                "school_code": "2115060031",
                "name": "东胜区某嘎查教学点",
                "level": "primary",
                "students": 36,
                "teachers_above_required_degree": 3,
                "backbone_teachers": 0,
                "pe_arts_teachers": 1,
                "teaching_auxiliary_area_m2": 180,
                "sports_venue_area_m2": 400,
                "equipment_value_yuan": 80000,
                "multimedia_classrooms": 2,
                "teaching_point": True,
            },
        ]
    )
