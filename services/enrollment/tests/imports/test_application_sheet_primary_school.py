"""The 小学毕业学校 column of the application sheet (小学毕业学校 / 毕业小学, optional;
九年一贯制对口, issue 19), on SQLite and PostgreSQL: checked as `POST /v1/applications` checks
`primary_school_code`, stored, exported and read back.

The county of the sheet tests (primary zones Z1: A, Z2: B and C), with a junior zone JZ over
both holding C (九年一贯制) and D (初级中学) and the example policy for junior too.
"""

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission import sheet
from enrollment.admission.models import Application
from junheng_kit.tabular import XLSX

from .test_application_sheets_api import (
    LOCAL_Z1,
    POLICY,
    YEAR,
    A,
    C,
    as_csv,
    as_xlsx,
    cid,
    county,
    exported,
    row,
    square,
    stored,
    upload,
)

__all__ = ["county"]  # a fixture, used by name

D = "3115000004"


@pytest.fixture
async def junior_county(client: AsyncClient, county: None, writer: dict[str, str]) -> None:
    school = {
        "school_code": D,
        "name": "测试初中",
        "levels": ["junior"],
        "county_code": "150602",
        "location": {"longitude": 109.97, "latitude": 39.81},
        "planned_capacity": 1000,
    }
    assert (await client.post("/v1/schools", json=school, headers=writer)).status_code == 201
    zones = {
        "county_code": "150602",
        "level": "junior",
        "year": YEAR,
        "effective_from": "2025-01-01",
        "zones": {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": square(109.95, 109.99),
                 "properties": {"zone_code": "JZ", "name": "初中片区", "school_codes": [C, D]}},
            ],
        },
    }  # fmt: skip
    assert (await client.post("/v1/zone-maps", json=zones, headers=writer)).status_code == 201
    policy = f"/v1/priority-policies/150602/{YEAR}/junior"
    assert (await client.put(policy, json=POLICY, headers=writer)).status_code == 201


def junior(body17: str, **changes: Any) -> dict[str, Any]:
    """A grade-7 row of a local child living in JZ, ranking C then D."""
    return row(body17, **{"grade": 7, "choices": f"{C}|{D}", **changes})


def titled(rows: list[dict[str, Any]], title: str) -> bytes:
    """The CSV with the 小学毕业学校 column under another of its titles."""
    text = as_csv(rows).decode("utf-8-sig")
    head, rest = text.split("\r\n", 1)
    return "\r\n".join([head.replace("小学毕业学校", title, 1), rest]).encode("utf-8-sig")


async def test_the_column_is_optional_and_named_in_the_template() -> None:
    column = next(c for c in sheet.COLUMNS if c.field == "primary_school_code")
    assert (column.titles, column.required) == (("小学毕业学校", "毕业小学"), False)


@pytest.mark.usefixtures("junior_county")
class TestPrimarySchoolColumn:
    async def test_schools_are_stored_and_exported(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str],
        pii_writer: dict[str, str],
    ) -> None:  # fmt: skip
        rows = [
            junior("15060220120315001", primary_school_code=C),  # the column-wise path
            junior("15060220120401002", primary_school_code=A, grade="07"),  # through the schema
            junior("15060220120502003"),  # none
            LOCAL_Z1,  # grade 1: none
        ]
        response = await upload(client, writer, titled(rows, "毕业小学"))
        assert response.status_code == 201, response.text
        columns = select(Application.citizen_id, Application.primary_school_code)
        schools = dict((await session.execute(columns)).all())
        assert schools == {
            cid("15060220120315001"): C,
            cid("15060220120401002"): A,
            cid("15060220120502003"): None,
            cid("15060220190315001"): None,
        }
        applications = await exported(client, pii_writer)
        back = {a["child"]["citizen_id"]: a["primary_school_code"] for a in applications}
        assert back == schools

    async def test_a_school_typed_as_a_number_in_a_workbook_is_read_as_its_code(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        workbook = as_xlsx([junior("15060220120315001", primary_school_code=int(C))])
        response = await upload(client, writer, workbook, XLSX)
        assert response.status_code == 201, response.text
        assert await session.scalar(select(Application.primary_school_code)) == C

    async def test_wrong_schools_are_named_by_row_and_nothing_is_imported(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        malformed = [junior("15060220120315001", primary_school_code="21150001")]
        response = await upload(client, writer, as_csv(malformed))
        assert response.status_code == 422, response.text
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[2].primary_school_code", "school_code_format"),
        ]  # a cell check, first round
        rows = [
            {**LOCAL_Z1, "primary_school_code": A},  # grade 1
            junior("15060220120401002", primary_school_code="2115999999"),
            junior("15060220120502003", primary_school_code=D),  # no primary section
            junior("15060220120603004", primary_school_code=C),  # fine
        ]
        response = await upload(client, writer, as_csv(rows))
        assert response.status_code == 422, response.text
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[2].primary_school_code", "primary_school_for_junior"),
            ("rows[3].primary_school_code", "school_registered"),
            ("rows[4].primary_school_code", "school_level"),
        ]
        assert await stored(session) == (0, 0, 0)
