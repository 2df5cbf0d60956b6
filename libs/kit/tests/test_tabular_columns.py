"""Column-wise reading (`read_columns`, the calamine engine) gives what `read_records` gives."""

import logging
from datetime import date, datetime

import pytest

from junheng_kit import tabular
from junheng_kit.ids import uuid7_many
from junheng_kit.problems import BadRequest
from junheng_kit.tabular import CSV, XLSX, Column, read_columns, read_records, write_csv, write_xlsx

COLUMNS = (
    Column("school_code", ("学校标识码",), text_width=10),
    Column("name", ("学校名称",)),
    Column("opened_on", ("建校日期",)),
    Column("students", ("在校生数",), required=False),
)
ROWS = [
    ["0115060201", " 东胜区第一小学 ", date(1990, 9, 1), 1200],
    [None, None, None, None],  # a blank line keeps its number but is no record
    [115060202, "东胜区第二小学", datetime(2001, 9, 1), None],  # noqa: DTZ001 - a cell is naive
    ["0115060203", "", date(2010, 9, 1), 7],
]


def as_records(content: bytes, media_type: str, engine: str) -> list[object]:
    sheet = read_columns(content, media_type, COLUMNS, engine=engine)  # type: ignore[arg-type]
    return [sheet.record(i) for i in range(len(sheet.rows))]


class TestSameAsRecords:
    @pytest.mark.parametrize("engine", ["openpyxl", "calamine"])
    def test_xlsx_columns_are_the_records(self, engine: str) -> None:
        content = write_xlsx(COLUMNS, ROWS, "学校")
        records = read_records(content, XLSX, COLUMNS)
        assert as_records(content, XLSX, engine) == records
        assert [r.row for r in records] == [2, 4, 5]
        assert records[1].values["school_code"] == "0115060202"  # a number gets its zeros back

    def test_a_mixed_column_is_read_by_openpyxl_with_its_own_cell_types(self) -> None:
        rows = [["0115060201", "甲", date(1990, 9, 1), 1], ["0115060202", "乙", "1991/9/1", 2]]
        content = write_xlsx(COLUMNS, rows, "学校")
        sheet = read_columns(content, XLSX, COLUMNS, engine="calamine")
        assert sheet.values["opened_on"] == [datetime(1990, 9, 1), "1991/9/1"]  # noqa: DTZ001
        assert sheet.values["students"] == [1, 2]

    def test_csv_columns_are_the_records(self) -> None:
        content = write_csv(COLUMNS, [[c if c is not None else "" for c in r] for r in ROWS])
        assert as_records(content, CSV, "calamine") == read_records(content, CSV, COLUMNS)

    @pytest.mark.parametrize(
        ("media_type", "engine"), [(XLSX, "calamine"), (XLSX, "openpyxl"), (CSV, "openpyxl")]
    )
    def test_a_lacking_optional_column_is_told_from_a_blank_one(
        self, media_type: str, engine: str
    ) -> None:
        without = COLUMNS[:3]
        rows = [["0115060201", "甲", date(1990, 9, 1)]]
        content = (
            write_xlsx(without, rows, "学校")
            if media_type == XLSX
            else write_csv(without, [["0115060201", "甲", "1990-09-01"]])
        )
        sheet = read_columns(content, media_type, COLUMNS, engine=engine)  # type: ignore[arg-type]
        assert sheet.values["students"] == [None]
        assert (sheet.has_column("name"), sheet.has_column("students")) == (True, False)

    def test_a_missing_column_is_the_same_400(self) -> None:
        content = "学校名称\n甲\n".encode()
        with pytest.raises(BadRequest) as caught:
            read_columns(content, CSV, COLUMNS)
        assert [e.message for e in caught.value.errors] == ["学校标识码", "建校日期"]


WIDE = (
    Column("code", ("代码",), text_width=6),
    Column("name", ("名称", "名字")),
    Column("note", ("备注",), required=False),
    Column("count", ("数量",), required=False),
    Column("flag", ("标记",), required=False),
    Column("ratio", ("比例",), required=False, text_width=4),
)
WIDE_ROWS = [
    [150602, "\u3000甲 \x1c", None, 1.0, True, 0.5],
    [-5, None, None, 2, False, 3],
    [None, None, None, None, None, None],
    [7, "   ", None, None, None, True],
    [None, None, None, 3.0, None, None],
]


class TestCalamineColumnWise:
    def test_every_cell_type_is_cleaned_as_read_records_cleans_it(self) -> None:
        titles = [*(c.title for c in WIDE), "名字", "其他"]
        rows = [[*r, f"乙{i}" if i % 2 else None, "x"] for i, r in enumerate(WIDE_ROWS)]
        content = write_xlsx([Column(t, (t,)) for t in titles], rows, "表")
        sheet = read_columns(content, XLSX, WIDE, engine="calamine")
        assert [sheet.record(i) for i in range(len(sheet.rows))] == read_records(
            content, XLSX, WIDE
        )
        assert sheet.rows == [2, 3, 5, 6]  # row 4 holds only a column of no field: blank
        assert sheet.values["code"] == ["150602", "-00005", "000007", None]
        assert sheet.values["name"] == ["甲", "乙1", "乙3", None]  # 名字 fills 名称's blanks
        assert sheet.values["count"] == [1, 2, None, 3]  # whole numbers as integers
        assert sheet.values["ratio"] == [0.5, "0003", "0001", None]  # True is 1, as openpyxl

    def test_a_blank_column_is_asked_for_as_text_so_calamine_logs_nothing(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        rows = [["0115060201", "甲", date(1990, 9, 1), None], ["0115060202", "乙", None, None]]
        content = write_xlsx(COLUMNS, rows, "学校")
        with caplog.at_level(logging.DEBUG):
            sheet = read_columns(content, XLSX, COLUMNS, engine="calamine")
        assert sheet.values["students"] == [None, None]
        assert sheet.values["opened_on"] == [datetime(1990, 9, 1), None]  # noqa: DTZ001
        assert [r.getMessage() for r in caplog.records if r.name.startswith("fastexcel")] == []

    def test_a_sheet_with_only_its_header_has_no_rows(self) -> None:
        sheet = read_columns(write_xlsx(COLUMNS, [], "学校"), XLSX, COLUMNS, engine="calamine")
        assert sheet.rows == []
        assert sheet.values == {c.field: [] for c in COLUMNS}

    def test_text_is_stripped_of_what_str_strip_strips(self) -> None:
        everything = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
        assert set(tabular._WHITESPACE) == set(everything)


class TestManyIds:
    def test_uuid7_many_are_distinct_version_7_ids_of_one_millisecond(self) -> None:
        ids = uuid7_many(1000)
        assert len(set(ids)) == 1000
        assert {i.version for i in ids} == {7}
        assert {i.variant for i in ids} == {"specified in RFC 4122"}
        assert len({i.int >> 80 for i in ids}) == 1
