"""The column-wise fast path of the application sheet against `ApplicationCreate`, cell by cell.

The fast path may send a row to the schema (it then decides), but a row it accepts must be one
the schema accepts, with the same values; the JSON documents it encodes must be the ones
`model_dump(mode="json")` gives the POST.
"""

import json
from datetime import date, datetime
from typing import Any

import polars as pl
import pytest
from pydantic_core import to_json

from enrollment.admission import sheet
from enrollment.imports import application_frame, sheets
from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.problems import InvalidInput
from junheng_kit.tabular import SheetColumns, SheetRecord

COUNTY, YEAR = "150602", 2025


def cid(body: str) -> str:
    return body + citizen_id_check_character(body)


def body_with_check(check: str) -> str:
    """A 2019-03-15 ID whose check character is `check`."""
    return next(
        cid(body)
        for n in range(1000)
        if citizen_id_check_character(body := f"15060220190315{n:03d}") == check
    )


BASE: dict[str, Any] = {
    "grade": "1",
    "child_citizen_id": cid("15060220190315001"),
    "child_name": "王小明",
    "birth_date": "2019-03-15",
    "guardian_name": "王建国",
    "guardian_relation": "父亲",
    "guardian_phone": "13800000000",
    "hukou_county_code": "150602",
    "hukou_type": "城镇",
    "hukou_address": "东胜区某街道",
    "housing": "自有住房",
    "social_insurance_months": "36",
    "home_address": "东胜区某路1号",
    "home_longitude": "109.96",
    "home_latitude": "39.81",
}
WRONG_CHECK = cid("15060220190315004")[:17] + ("0" if cid("15060220190315004")[17] != "0" else "1")
ELEVEN_CODES = "|".join(f"21150000{n:02d}" for n in range(11))
VARIANTS: list[dict[str, Any]] = [
    {},
    {"grade": "7"},
    {"grade": "一年级"},
    {"grade": "初一"},
    {"grade": "2"},
    {"grade": "01"},
    {"grade": 1},
    {"grade": 7.0},
    {"grade": 1.5},
    {"grade": True},
    {"child_citizen_id": body_with_check("X").lower()},
    {"child_citizen_id": body_with_check("X")},
    {"child_citizen_id": WRONG_CHECK},
    {"child_citizen_id": cid("15060220190230001")},  # 30 February
    {"child_citizen_id": cid("15060200000315001")},  # year 0
    {"child_citizen_id": cid("15060220190315001")[:17]},
    {"child_citizen_id": "１５０６０２２０１９０３１５００１" + cid("15060220190315001")[17]},
    {"student_number": "G" + cid("15060220190315001")},
    {"student_number": "g" + cid("15060220190315001")},
    {"student_number": " G" + cid("15060220190315001")},
    {"student_number": "G" + cid("15060220190315002")},  # another ID: a rule problem, later
    {"student_number": "J150602201903150018"},
    {"student_number": "L150602201903154821"},
    {"student_number": "J150602201903150019"},
    {"student_number": "G" + WRONG_CHECK},
    {"student_number": cid("15060220190315001")},
    {"student_number": 1506022019031500},
    {"child_name": "名" * 50},
    {"child_name": "名" * 51},
    {"child_name": 42},
    {"birth_date": "2019/3/15"},
    {"birth_date": "2019.03.15"},
    {"birth_date": "2019-3-15"},
    {"birth_date": "2019-02-30"},
    {"birth_date": "0000-03-15"},
    {"birth_date": "2019-03-16"},  # a rule problem (the ID says 03-15), not a cell problem
    {"birth_date": "2019-03-15T00:00:00"},
    {"birth_date": datetime(2019, 3, 15)},  # noqa: DTZ001 - a spreadsheet cell is naive
    {"birth_date": datetime(2019, 3, 15, 8, 30)},  # noqa: DTZ001
    {"birth_date": date(2019, 3, 15)},
    {"birth_date": 43539},  # a spreadsheet serial number
    {"guardian_name": "家" * 51},
    {"guardian_relation": "母亲"},
    {"guardian_relation": "grandparent"},
    {"guardian_relation": "舅舅"},
    {"guardian_phone": "23800000000"},
    {"guardian_phone": "1380000000"},
    {"guardian_phone": 13800000000},
    {"hukou_county_code": "990602"},
    {"hukou_county_code": "15060"},
    {"hukou_county_code": "130102"},
    {"hukou_type": "农业"},
    {"hukou_type": "rural"},
    {"hukou_type": "集体"},
    {"hukou_address": "东"},
    {"hukou_longitude": "109.96", "hukou_latitude": "39.81"},
    {"hukou_longitude": "109.96"},
    {"hukou_longitude": "200", "hukou_latitude": "39.81"},
    {"hukou_longitude": 109.965, "hukou_latitude": 39.8125},
    {"housing": "租赁"},
    {"housing": "自有"},
    {"housing": "借住"},
    {"residence_permit_issued_on": "2023/5/1"},
    {"residence_permit_issued_on": "2023-05-01", "residence_permit_number": "1301021990"},
    {"residence_permit_number": "X1"},
    {"residence_permit_issued_on": "2023-05-01", "residence_permit_number": "1" * 41},
    {"residence_permit_issued_on": "2023-05-01", "residence_permit_number": 12345},
    {"residence_permit_issued_on": "2023-13-01"},
    {"social_insurance_months": None},
    {"social_insurance_months": "0"},
    {"social_insurance_months": "600"},
    {"social_insurance_months": "601"},
    {"social_insurance_months": "036"},
    {"social_insurance_months": "3.5"},
    {"social_insurance_months": "-1"},
    {"social_insurance_months": 24},
    {"social_insurance_months": 24.0},
    {"home_address": "路" * 201},
    {"home_longitude": "1.0996e2"},
    {"home_longitude": "72.9"},
    {"home_longitude": "135.5"},
    {"home_latitude": "53.6"},
    {"home_latitude": "nan"},
    {"home_latitude": "abc"},
    {"home_longitude": "+109.96"},
    {"home_longitude": 110},
    {"home_longitude": None},
    {"choices": "2115000001"},
    {"choices": "2115000001|3115000003"},
    {"choices": "2115000001、 3115000003;"},
    {"choices": "|"},
    {"choices": "2115000001|2115000001"},
    {"choices": "9915000001"},
    {"choices": "211500000"},
    {"choices": ELEVEN_CODES},
    {"choices": 2115000001},
    {"choices": "2115000001\x1c3115000003"},  # a separator to Python's \s, not to Rust's
    {"primary_school_code": "3115000003"},
    {"primary_school_code": "2115000001", "grade": "7"},
    {"primary_school_code": "21150001"},
    {"primary_school_code": "9915000001"},
    {"primary_school_code": " 2115000001"},
    {"primary_school_code": 2115000001},
]
FIELDS = application_frame.TEXT_FIELDS


def cells(variant: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in {**BASE, **variant}.items() if v is not None}


def schema_frame(values: dict[str, Any]) -> pl.DataFrame | None:
    """The row as `ApplicationCreate` reads it (through the sheet's shaping), or None."""
    try:
        (row,) = sheets.validated(
            sheet.SHEET, [SheetRecord(2, values)], sheet.record_shape(COUNTY, YEAR), sheet.column_of
        )
    except InvalidInput:
        return None
    return application_frame.from_rows([0], [2], [row])


def columns(rows: list[dict[str, Any]]) -> SheetColumns:
    filled = [cells(v) for v in rows]
    return SheetColumns(
        list(range(2, len(rows) + 2)), {f: [c.get(f) for c in filled] for f in FIELDS}
    )


def fast(rows: list[dict[str, Any]], county_code: str = COUNTY) -> tuple[pl.DataFrame, ...]:
    return application_frame.validate(
        application_frame.raw_frame(columns(rows)),
        county_code=county_code,
        year=YEAR,
        labels=sheet.LABELS,
    )


class TestFastPathAgreesWithTheSchema:
    @pytest.mark.parametrize("variant", VARIANTS, ids=[repr(v) for v in VARIANTS])
    def test_a_row_the_fast_path_accepts_is_the_row_the_schema_gives(
        self, variant: dict[str, Any]
    ) -> None:
        good, rest = fast([variant])
        assert good.height + rest.height == 1
        expected = schema_frame(cells(variant))
        if good.height:
            assert expected is not None
            assert good.to_dicts() == expected.to_dicts()
        else:
            assert rest["index"].to_list() == [0]

    def test_ordinary_rows_all_take_the_fast_path(self) -> None:
        plain = [
            {},
            {"birth_date": "2019/3/15", "guardian_relation": "母亲"},
            {"child_citizen_id": cid("13010220181120003"), "birth_date": "2018-11-20",
             "hukou_county_code": "130102", "housing": "租赁",
             "residence_permit_issued_on": "2023-05-01", "choices": "2115000002|3115000003"},
            {"hukou_longitude": "109.96", "hukou_latitude": "39.81",
             "social_insurance_months": None,
             "student_number": "G" + cid("15060220190315001")},
            {"grade": "七年级", "primary_school_code": "3115000003"},
        ]  # fmt: skip
        good, rest = fast(plain)
        assert (good.height, rest.height) == (5, 0)
        numbers = [None, None, None, "G" + cid("15060220190315001"), None]
        assert good["student_number"].to_list() == numbers
        assert good["guardian_relation"].to_list() == ["father", "mother"] + ["father"] * 3
        assert good["birth_date"].to_list()[1] == date(2019, 3, 15)
        assert good["choices"].to_list()[2] == ["2115000002", "3115000003"]
        assert good["residence_permit_issued_on"].to_list()[2] == date(2023, 5, 1)
        assert good["social_insurance_months"].to_list() == [36, 36, 36, 0, 36]
        assert good["primary_school_code"].to_list() == [None] * 4 + ["3115000003"]

    def test_rows_keep_their_positions_and_sheet_numbers(self) -> None:
        good, rest = fast([{}, {"housing": "借住"}, {"birth_date": "2019/3/15"}])
        assert good["row"].to_list() == [2, 4]
        assert rest["row"].to_list() == [3]
        assert rest.schema["birth_date"] == pl.String

    def test_a_county_code_the_schema_refuses_sends_every_row_to_it(self) -> None:
        good, rest = fast([{}, {}], county_code="990602")
        assert (good.height, rest.height) == (0, 2)


DOCUMENT_VARIANTS: list[dict[str, Any]] = [
    {},
    {"hukou_longitude": "109.96", "hukou_latitude": "39.81"},
    {"residence_permit_issued_on": "2023-05-01"},
    {"residence_permit_issued_on": "2023-05-01", "residence_permit_number": '居字0012"号'},
    {"social_insurance_months": None, "guardian_name": 'O"Brien \\ 王'},
]


class TestStoredDocuments:
    @pytest.mark.parametrize("variant", DOCUMENT_VARIANTS, ids=[repr(v) for v in DOCUMENT_VARIANTS])
    def test_guardian_and_household_are_the_posts_json_byte_for_byte(
        self, variant: dict[str, Any]
    ) -> None:
        good, _ = fast([variant])
        encoded = good.select(
            application_frame.guardian_json().alias("guardian"),
            application_frame.household_json().alias("household"),
        ).row(0)
        (row,) = sheets.validated(
            sheet.SHEET,
            [SheetRecord(2, cells(variant))],
            sheet.record_shape(COUNTY, YEAR),
            sheet.column_of,
        )
        posted = (row.guardian.model_dump(mode="json"), row.household.model_dump(mode="json"))
        assert [json.loads(text) for text in encoded] == list(posted)
        # the engine's JSON serialiser (pydantic-core) writes the same text
        assert list(encoded) == [to_json(document).decode() for document in posted]
