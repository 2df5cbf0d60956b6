"""The column-wise fast path of the teacher sheet against the row schema, cell by cell.

The fast path may send a row to the schema (it then decides), but a row it accepts must be one
the schema accepts, with the same normalised values.
"""

from datetime import date, datetime
from typing import Any

import polars as pl
import pytest
from pydantic import ValidationError

from junheng_kit.tabular import SheetColumns
from staffing.teachers import sheet_frame
from staffing.teachers.sheet import TeacherSheetRow

from .conftest import PRIMARY, citizen_id

BASE: dict[str, Any] = {
    "citizen_id": citizen_id("19900105", 11),
    "name": "教师",
    "birth_date": "1990-01-05",
    "school_code": PRIMARY,
    "section": "小学",
    "school_joined_on": "2018-09-01",
    "post_type": "专任",
    "subjects": "音乐、语文",
    "title": "二级",
    "degree": "本科",
    "staffing_status": "在编",
    "hire_date": "2012-09-01",
}
VARIANTS: list[dict[str, Any]] = [
    {},
    {"citizen_id": citizen_id("19900105", 11).lower().replace("x", "x")},
    {"citizen_id": citizen_id("19900105", 12)[:17] + "0"},  # check digit (maybe) wrong
    {"citizen_id": citizen_id("19900105", 13)[:17] + "1"},
    {"citizen_id": "15060219900230011X"},  # 30 February
    {"citizen_id": "1506021990010501"},
    {"birth_date": "1990/1/5"},
    {"birth_date": "1990.01.05"},
    {"birth_date": "1990-01-06"},
    {"birth_date": "1990-1-5"},
    {"birth_date": datetime(1990, 1, 5)},  # noqa: DTZ001 - a spreadsheet cell is naive
    {"birth_date": datetime(1990, 1, 5, 8, 30)},  # noqa: DTZ001
    {"birth_date": date(1990, 1, 5)},
    {"school_joined_on": "2015-02-30"},
    {"school_joined_on": "1989-09-01"},
    {"hire_date": "２０１２-09-01"},
    {"gender": "男"},
    {"gender": "女"},
    {"gender": "female"},
    {"gender": "未知"},
    {"name": "名" * 50},
    {"name": "名" * 51},
    {"name": 42},
    {"school_code": "2115"},
    {"school_code": "9915060001"},
    {"school_code": 2115060001},
    {"section": "初中"},
    {"section": "junior"},
    {"section": "高中"},
    {"post_type": "教辅", "subjects": None},
    {"post_type": "工勤"},
    {"subjects": "语文,语文；数学 体育与健康"},
    {"subjects": "、"},
    {"subjects": "书法"},
    {"title": "正高"},
    {"title": "特级"},
    {"title": None},
    {"degree": "大专"},
    {"degree": "函授"},
    {"backbone_level": "旗县级"},
    {"backbone_level": "乡级"},
    {"staffing_status": "借调"},
    {"staffing_status": "编外"},
    {"status": "退休"},
    {"status": "active"},
    {"status": "病休"},
    {"rural_service": "2010-09-01~2012-09-01 某某小学"},
    {"leadership_post": "校长"},
    {"leadership_post": "vice_principal"},
    {"leadership_post": "书记"},
    {"teacher_qualification_type": "小学教师资格", "teacher_qualification_subject": "体育"},
    {"teacher_qualification_type": "高中", "teacher_qualification_number": "20181500000000456"},
    {"teacher_qualification_type": "higher_education", "teacher_qualification_number": "x" * 31},
    {"teacher_qualification_type": "特岗"},
    {"teacher_qualification_type": "初级中学", "teacher_qualification_subject": "书法"},
    {"teacher_qualification_number": "20181500000000456"},  # no kind
    {"teacher_qualification_subject": "语文"},  # no kind
    {"teacher_qualification_type": "小学", "teacher_qualification_number": 20181500000000456},
]


def schema_row(values: dict[str, Any]) -> dict[str, Any] | None:
    try:
        row = TeacherSheetRow.model_validate(values)
    except ValidationError:
        return None
    return sheet_frame.from_rows([0], [2], [row]).drop("index", "row").to_dicts()[0]


def columns(rows: list[dict[str, Any]]) -> SheetColumns:
    fields = sheet_frame.TEXT_FIELDS
    cells = [{**BASE, **v} for v in rows]
    return SheetColumns(
        list(range(2, len(rows) + 2)), {f: [c.get(f) for c in cells] for f in fields}
    )


class TestFastPathAgreesWithTheRowSchema:
    @pytest.mark.parametrize("variant", VARIANTS, ids=[str(v) for v in VARIANTS])
    def test_a_row_the_fast_path_accepts_is_the_row_the_schema_gives(
        self, variant: dict[str, Any]
    ) -> None:
        good, rest = sheet_frame.validate(sheet_frame.raw_frame(columns([variant])))
        assert good.height + rest.height == 1
        expected = schema_row({k: v for k, v in {**BASE, **variant}.items() if v is not None})
        if good.height:
            assert expected is not None
            assert good.drop("index", "row").to_dicts()[0] == expected
        else:
            assert rest["index"].to_list() == [0]

    def test_ordinary_rows_all_take_the_fast_path(self) -> None:
        plain = [{}, {"birth_date": "1990/1/5"}, {"gender": "男", "title": "正高"}, {}]
        plain[3] = {"citizen_id": citizen_id("19900105", 13), "status": "调出"}
        good, rest = sheet_frame.validate(sheet_frame.raw_frame(columns(plain)))
        assert (good.height, rest.height) == (4, 0)
        assert good["subjects"].to_list()[0] == ["music", "chinese"]
        assert good["status"].to_list() == ["active", "active", "active", "left"]
        assert good["birth_date"].to_list()[1] == date(1990, 1, 5)

    def test_rows_keep_their_sheet_order_and_numbers(self) -> None:
        good, rest = sheet_frame.validate(
            sheet_frame.raw_frame(columns([{}, {"degree": "函授"}, {"birth_date": "1990/1/5"}]))
        )
        assert good["row"].to_list() == [2, 4]
        assert rest["row"].to_list() == [3]
        assert rest.schema["birth_date"] == pl.String
