"""Reading a bureau's class sheet (CSV or XLSX): one row per class.

Headers may be the API's field names or the Chinese column titles; 学段 accepts 小学/初中 as well
as primary/junior; 年级 accepts a number or 一年级…九年级 / 初一…初三. Parsing is the kit's
(`junheng_kit.tabular`), validation the API schema's, per row.
"""

from typing import Any

from junheng_kit.tabular import CSV, XLSX, Column, SheetRecord, read_records, write_xlsx

__all__ = ["COLUMNS", "CSV", "XLSX", "read_table", "template_xlsx"]

COLUMNS = (
    Column("school_code", ("学校标识码", "学校代码"), text_width=10),
    Column("level", ("学段",)),
    Column("grade", ("年级",)),
    Column("name", ("班级", "班级名称")),
    Column("pupils", ("班级学生数", "学生数", "班额")),
)
LEVEL_NAMES = {"小学": "primary", "初中": "junior"}
_DIGITS = "一二三四五六七八九"
GRADE_NAMES = {f"{d}年级": n for n, d in enumerate(_DIGITS, start=1)} | {
    f"初{d}": n + 6 for n, d in enumerate("一二三", start=1)
}


def read_table(content: bytes, media_type: str) -> list[SheetRecord]:
    """Records of the first sheet (XLSX) or of the file (CSV, UTF-8 with or without BOM)."""
    records = read_records(content, media_type, COLUMNS)
    for record in records:
        values = record.values
        if isinstance(values.get("level"), str):
            values["level"] = LEVEL_NAMES.get(values["level"], values["level"])
        grade = values.get("grade")
        if isinstance(grade, str):
            values["grade"] = GRADE_NAMES.get(grade.strip(), grade)
        if isinstance(values.get("name"), int | float):
            values["name"] = str(int(values["name"]))
    return records


def _row(row: dict[str, Any]) -> list[Any]:
    level = {v: k for k, v in LEVEL_NAMES.items()}[row["level"]]
    return [row["school_code"], level, row["grade"], row["name"], row["pupils"]]


def template_xlsx() -> bytes:
    """The Chinese column titles and example rows to replace: a primary class at the cap and a
    junior class of a nine-year school."""
    rows = [
        {"school_code": "2115060001", "level": "primary", "grade": 1, "name": "1班", "pupils": 45},
        {"school_code": "2115060001", "level": "primary", "grade": 1, "name": "2班", "pupils": 44},
        {"school_code": "2115060021", "level": "junior", "grade": 7, "name": "1班", "pupils": 50},
    ]
    return write_xlsx(COLUMNS, (_row(r) for r in rows), "班级学生数")
