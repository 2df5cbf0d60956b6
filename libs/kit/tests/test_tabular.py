"""Bureau sheets: CSV and XLSX read the same, titles map to fields, errors name sheet rows."""

import pytest

from junheng_kit.problems import BadRequest, FieldError, InvalidInput, UnsupportedMediaType
from junheng_kit.tabular import (
    CSV,
    XLSX,
    Column,
    media_type_of,
    read_records,
    reject_rows,
    row_errors,
    sheet_date_text,
    write_csv,
    write_xlsx,
)

COLUMNS = (
    Column("school_code", ("学校标识码", "学校代码"), text_width=10),
    Column("name", ("学校名称",)),
    Column("students", ("在校生数",)),
    Column("note", ("备注",), required=False),
)
ROWS = [["0115060201", "东胜区第一小学", 1200, None], ["0115060202", "东胜区第二小学", 860, "新建"]]


class TestRoundTrip:
    def test_csv_written_with_a_bom_reads_back_by_field(self) -> None:
        body = write_csv(COLUMNS, ROWS)
        assert body.startswith(b"\xef\xbb\xbf")
        assert body.decode("utf-8-sig").splitlines()[0] == "学校标识码,学校名称,在校生数,备注"
        records = read_records(body, CSV, COLUMNS)
        assert [r.row for r in records] == [2, 3]
        # CSV cells are text; the blank note is left out rather than read as ""
        assert records[0].values == {
            "school_code": "0115060201",
            "name": "东胜区第一小学",
            "students": "1200",
        }
        assert records[1].values["note"] == "新建"

    def test_xlsx_keeps_numbers_and_restores_leading_zeros_of_codes(self) -> None:
        typed_as_number = [[115060201, "东胜区第一小学", 1200, None]]
        records = read_records(write_xlsx(COLUMNS, typed_as_number, "学校"), XLSX, COLUMNS)
        assert records[0].values == {
            "school_code": "0115060201",
            "name": "东胜区第一小学",
            "students": 1200,
        }

    def test_any_listed_title_or_the_field_name_is_a_header(self) -> None:
        body = "学校代码,name,在校生数,其他\r\n0115060201, 东胜区第一小学 ,5,x\r\n,,,\r\n".encode()
        records = read_records(body, CSV, COLUMNS)
        assert len(records) == 1  # the blank line is skipped, the unknown column ignored
        assert records[0].values["name"] == "东胜区第一小学"  # cells are trimmed


class TestRefusals:
    def test_missing_required_columns_are_all_named(self) -> None:
        with pytest.raises(BadRequest) as refused:
            read_records("学校名称\r\n东胜区第一小学\r\n".encode(), CSV, COLUMNS)
        assert [(e.field, e.rule, e.message) for e in refused.value.errors] == [
            ("header", "column_required", "学校标识码"),
            ("header", "column_required", "在校生数"),
        ]

    def test_an_empty_table_a_non_utf8_csv_and_a_broken_workbook(self) -> None:
        for body, media_type, rule in [
            (b"", CSV, "rows_required"),
            ("学校名称".encode("gbk"), CSV, "csv_utf8"),
            (b"PK\x03\x04 not really a zip", XLSX, "xlsx_readable"),
        ]:
            with pytest.raises(BadRequest) as refused:
                read_records(body, media_type, COLUMNS)
            assert refused.value.errors[0].rule == rule

    def test_only_csv_and_xlsx_media_types(self) -> None:
        assert media_type_of("text/csv; charset=utf-8") == CSV
        assert media_type_of(XLSX.upper()) == XLSX
        with pytest.raises(UnsupportedMediaType) as refused:
            media_type_of("application/json")
        assert refused.value.errors[0].field == "header.content-type"


class TestRowErrors:
    def test_errors_are_renamed_by_sheet_row_and_nothing_is_imported(self) -> None:
        errors = [
            *row_errors(2, [FieldError("students", "greater_than", "must be > 0")]),
            *row_errors(5, [FieldError("school_code", "school_code", "10 digits")]),
            *row_errors(5, [FieldError("name", "missing", "required")]),
        ]
        assert [e.field for e in errors] == [
            "rows[2].students",
            "rows[5].school_code",
            "rows[5].name",
        ]
        with pytest.raises(InvalidInput) as refused:
            reject_rows(errors)
        assert "2 row(s) are invalid; nothing was imported" in refused.value.detail
        assert len(refused.value.errors) == 3

    def test_a_long_report_is_capped_and_says_so(self) -> None:
        errors = [FieldError(f"rows[{n}].name", "missing") for n in range(2, 1502)]
        with pytest.raises(InvalidInput) as refused:
            reject_rows(errors, limit=1000)
        assert len(refused.value.errors) == 1000
        assert "first 1000 of 1500 errors shown" in refused.value.detail
        assert "共 1500 个错误，显示前 1000 个" in refused.value.detail

    def test_no_errors_no_refusal(self) -> None:
        reject_rows([])


class TestSheetDateText:
    @pytest.mark.parametrize(
        ("typed", "iso"),
        [("2010/9/1", "2010-09-01"), ("2010.09.01", "2010-09-01"), ("2024/12/31", "2024-12-31")],
    )
    def test_dates_as_bureaus_type_them_become_iso(self, typed: str, iso: str) -> None:
        assert sheet_date_text(typed) == iso

    @pytest.mark.parametrize("cell", ["2010-09-01", "2010年9月1日", "9/1/2010", 20100901, None])
    def test_anything_else_is_left_for_the_schema(self, cell: object) -> None:
        assert sheet_date_text(cell) == cell
