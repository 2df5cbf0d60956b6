"""The column-wise fast paths of the school sheet and the zones' school-list sheet against their
schemas (`SchoolCreate`, `ZoneSchoolsRow`), cell by cell.

The fast path may send a row to the schema (it then decides), but a row it accepts must be one
the schema accepts, with the same values; the usual shapes must take the fast path.
"""

from typing import Any

import pytest
from pydantic import ValidationError

from enrollment.imports import sheets
from enrollment.schools import sheet as schools
from enrollment.zoning import sheet as zone_lists
from junheng_kit.problems import InvalidInput
from junheng_kit.tabular import SheetColumns

SCHOOL: dict[str, Any] = {
    "school_code": "2115061001",
    "name": "东胜区第十小学",
    "levels": "小学",
    "county_code": "150602",
    "longitude": "109.98",
    "latitude": "39.81",
    "planned_capacity": "1800",
}
SCHOOL_VARIANTS: list[tuple[dict[str, Any], bool]] = [
    # (cells replaced, the fast path must take the row)
    ({}, True),
    ({"levels": "初中、九年一贯制"}, True),
    ({"levels": "primary|junior"}, True),
    ({"levels": "小学; 初中,完全中学"}, True),
    ({"levels": "|小学|"}, True),
    ({"levels": "小学、小学"}, False),
    ({"levels": "小学、初中、九年一贯制、完全中学、小学"}, False),
    ({"levels": "高中"}, False),
    ({"levels": "|"}, False),
    ({"levels": None}, False),
    ({"levels": 1}, False),
    ({"school_code": "9915061001"}, False),
    ({"school_code": "211506100"}, False),
    ({"school_code": "２１１５０６１００１"}, False),
    ({"school_code": None}, False),
    ({"name": "甲"}, False),
    ({"name": "校" * 100}, True),
    ({"name": "校" * 101}, False),
    ({"name": 42}, False),
    ({"county_code": "990602"}, False),
    ({"county_code": "15060"}, False),
    ({"longitude": "72.99"}, False),
    ({"longitude": "135.5"}, True),
    ({"longitude": "1.0998e2"}, False),
    ({"longitude": "+109.98"}, False),
    ({"longitude": "nan"}, False),
    ({"longitude": "abc"}, False),
    ({"longitude": 109.98}, True),
    ({"longitude": 110}, True),
    ({"longitude": True}, False),
    ({"latitude": "53.6"}, True),
    ({"latitude": "53.61"}, False),
    ({"latitude": None}, False),
    ({"planned_capacity": "20000"}, True),
    ({"planned_capacity": "20001"}, False),
    ({"planned_capacity": "0"}, False),
    ({"planned_capacity": "01800"}, False),
    ({"planned_capacity": "1800.0"}, False),
    ({"planned_capacity": "-5"}, False),
    ({"planned_capacity": 1800}, True),
    ({"planned_capacity": 1800.5}, False),
    ({"planned_capacity": False}, False),
    # the national codes (issue 19): code or label, blank allowed
    ({"school_type": "211"}, True),
    ({"school_type": "小学"}, True),
    ({"school_type": "九年一贯制学校", "levels": "九年一贯制"}, True),
    ({"school_type": "342"}, False),  # 高级中学: not a compulsory-education type
    ({"school_type": "小学校"}, False),
    ({"school_type": 211}, False),
    ({"urban_rural_code": "220"}, True),
    ({"urban_rural_code": "村庄"}, True),
    ({"urban_rural_code": "110"}, False),
    ({"division_code": "150602100001"}, True),
    ({"division_code": "15060210000"}, False),
    ({"division_code": "990602100001"}, False),
    ({"division_code": "15060210000１"}, False),
    ({"ownership": "民办"}, True),
    ({"ownership": "public"}, True),
    ({"ownership": "民办公助"}, False),
    (
        {
            "school_type": "212",
            "urban_rural_code": "主城区",
            "division_code": "150602001001",
            "ownership": "公办",
        },
        False,
    ),
    (
        {
            "school_type": "211",
            "urban_rural_code": "主城区",
            "division_code": "150602001001",
            "ownership": "公办",
        },
        True,
    ),
]


def one_row(cells: dict[str, Any], fields: list[str]) -> SheetColumns:
    return SheetColumns([2], {f: [cells.get(f)] for f in fields})


def schema_frame(sheet: SheetColumns) -> Any:
    """What the schema alone makes of the sheet (None when it refuses it)."""
    records = [sheet.record(i) for i in range(len(sheet.rows))]
    try:
        rows = sheets.validated(schools.SHEET, records, schools.record_shape, schools.column_of)
    except (InvalidInput, ValidationError):
        return None
    return schools.from_rows(range(len(rows)), sheet.rows, rows)


class TestSchoolFastPath:
    @pytest.mark.parametrize(("change", "fast"), SCHOOL_VARIANTS)
    def test_a_row_the_fast_path_takes_is_the_schemas_row(
        self, change: dict[str, Any], fast: bool
    ) -> None:
        sheet = one_row({**SCHOOL, **change}, [c.field for c in schools.COLUMNS])
        good, rest = schools.fast_path(sheet)
        assert (good.height == 1, rest) == (fast, [] if fast else [0])
        if fast:
            assert good.to_dicts() == schema_frame(sheet).to_dicts()

    def test_a_mixed_sheet_keeps_its_order_and_the_schemas_values(self) -> None:
        cells = [{**SCHOOL, **change} for change, _ in SCHOOL_VARIANTS if _]
        cells.insert(1, {**SCHOOL, "longitude": "1.0998e2"})  # valid, through the schema
        fields = [c.field for c in schools.COLUMNS]
        sheet = SheetColumns(
            list(range(2, len(cells) + 2)), {f: [c.get(f) for c in cells] for f in fields}
        )
        frame = schools.validated(sheet)
        assert frame["row"].to_list() == sheet.rows
        assert frame.to_dicts() == schema_frame(sheet).to_dicts()
        assert frame["longitude"][1] == 109.98

    def test_codes_are_stored_as_codes_whichever_way_they_were_written(self) -> None:
        fields = [c.field for c in schools.COLUMNS]
        labels = {"school_type": "小学", "urban_rural_code": "村庄", "ownership": "民办"}
        codes = {"school_type": "211", "urban_rural_code": "220", "ownership": "private"}
        sheet = SheetColumns(
            [2, 3], {f: [{**SCHOOL, **labels}.get(f), {**SCHOOL, **codes}.get(f)] for f in fields}
        )
        frame = schools.validated(sheet)
        assert frame.select(list(codes)).rows() == [("211", "220", "private")] * 2

    def test_an_unknown_code_is_worded_by_the_schema(self) -> None:
        fields = [c.field for c in schools.COLUMNS]
        sheet = one_row({**SCHOOL, "school_type": "342", "urban_rural_code": "城市"}, fields)
        with pytest.raises(InvalidInput) as caught:
            schools.validated(sheet)
        assert [(e.field, e.rule) for e in caught.value.errors] == [
            ("rows[2].school_type", "school_type_known"),
            ("rows[2].urban_rural_code", "urban_rural_code_known"),
        ]

    def test_a_bad_row_is_worded_by_the_schema(self) -> None:
        sheet = one_row({**SCHOOL, "planned_capacity": "0"}, [c.field for c in schools.COLUMNS])
        with pytest.raises(InvalidInput) as caught:
            schools.validated(sheet)
        assert [(e.field, e.rule) for e in caught.value.errors] == [
            ("rows[2].planned_capacity", "greater_than_equal")
        ]


ZONE: dict[str, Any] = {"zone_code": "P01", "name": "第一片区", "school_codes": "2115061001"}
ZONE_VARIANTS: list[tuple[dict[str, Any], bool]] = [
    ({}, True),
    ({"name": None}, True),
    ({"school_codes": "2115061001|2115061002、3115061003"}, True),
    ({"school_codes": "2115061001|2115061001"}, True),  # a rule (school_codes_unique), later
    ({"school_codes": "|".join(f"21150610{n:02d}" for n in range(50))}, True),
    ({"school_codes": "|".join(f"21150610{n:02d}" for n in range(51))}, False),
    ({"school_codes": "9915061001"}, False),
    ({"school_codes": "|"}, False),
    ({"school_codes": None}, False),
    ({"school_codes": 2115061001}, False),
    ({"zone_code": "P" * 40}, True),
    ({"zone_code": "P" * 41}, False),
    ({"zone_code": 12}, False),
    ({"zone_code": None}, False),
    ({"name": "名" * 101}, False),
    ({"name": 3}, False),
]


class TestZoneListFastPath:
    @pytest.mark.parametrize(("change", "fast"), ZONE_VARIANTS)
    def test_a_row_the_fast_path_takes_is_the_schemas_row(
        self, change: dict[str, Any], fast: bool
    ) -> None:
        fields = [c.field for c in zone_lists.COLUMNS]
        sheet = one_row({**ZONE, **change}, fields)
        try:
            [row] = sheets.validated(
                zone_lists.SHEET, [sheet.record(0)], zone_lists.record_shape, zone_lists.column_of
            )
        except InvalidInput:
            row = None
        good, rest = zone_lists.fast_path(sheet)
        assert (good.height == 1, rest) == (fast, [] if fast else [0])
        if fast:
            assert row is not None
            assert good.to_dicts() == [
                {"index": 0, "row": 2, "zone_code": row.zone_code, "name": row.name,
                 "school_codes": list(row.school_codes)}
            ]  # fmt: skip

    def test_a_bad_row_is_worded_by_the_schema(self) -> None:
        fields = [c.field for c in zone_lists.COLUMNS]
        sheet = one_row({**ZONE, "school_codes": "9915061001"}, fields)
        with pytest.raises(InvalidInput) as caught:
            zone_lists.validated(sheet)
        assert [(e.field, e.rule) for e in caught.value.errors] == [
            ("rows[2].school_codes", "school_code_category")
        ]
