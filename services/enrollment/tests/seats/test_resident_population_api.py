"""常住人口 by zone over HTTP (JSON, CSV, XLSX): the base of the 学位配置标准 (seed 002: "以常住
人口为基数"), checked against the zone maps of the base year, on SQLite and PostgreSQL."""

import io
from typing import Any

from httpx import AsyncClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.zoning.models import ResidentPopulation
from junheng_kit.testing.plugin import TokenFactory, auth, problem_errors

RESIDENTS = "/v1/zones/resident-population/150602/2026"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS: list[dict[str, Any]] = [
    {"zone_code": "P01", "level": "primary", "residents": 23400},
    {"zone_code": "P02", "level": "primary", "residents": 18000},
    {"zone_code": "J01", "level": "junior", "residents": 41400},
]


async def stored(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(ResidentPopulation)) or 0


class TestImport:
    async def test_json_rows_are_stored_and_read_back(
        self, client: AsyncClient, zones_2026: None, writer: dict[str, str]
    ) -> None:
        response = await client.put(RESIDENTS, json={"rows": ROWS}, headers=writer)
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["county_code"], body["year"], body["source"]) == ("150602", 2026, "json")
        assert body["rows"] == ROWS
        read = await client.get(RESIDENTS, headers=writer)
        assert (read.status_code, read.json()) == (200, body)

    async def test_a_csv_with_chinese_titles_replaces_the_year(
        self, client: AsyncClient, session: AsyncSession, zones_2026: None, writer: dict[str, str]
    ) -> None:
        await client.put(RESIDENTS, json={"rows": ROWS}, headers=writer)
        content = "片区代码,学段,常住人口\nP01,小学,25000\nJ01,初中,40000\n"
        response = await client.put(
            RESIDENTS, content=content.encode(), headers={**writer, "Content-Type": "text/csv"}
        )
        assert response.status_code == 200, response.text
        read = (await client.get(RESIDENTS, headers=writer)).json()
        assert read["source"] == "csv"
        assert read["rows"] == [
            {"zone_code": "P01", "level": "primary", "residents": 25000},
            {"zone_code": "J01", "level": "junior", "residents": 40000},
        ]
        assert await stored(session) == 2  # P02 of the earlier import is gone

    async def test_an_xlsx_sheet_is_read_like_csv(
        self, client: AsyncClient, zones_2026: None, writer: dict[str, str]
    ) -> None:
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(["zone_code", "level", "residents"])
        sheet.append(["P01", "primary", 23400.0])
        out = io.BytesIO()
        workbook.save(out)
        response = await client.put(
            RESIDENTS, content=out.getvalue(), headers={**writer, "Content-Type": XLSX}
        )
        assert response.status_code == 200, response.text
        assert (response.json()["source"], response.json()["rows"]) == ("xlsx", [ROWS[0]])


class TestValidation:
    async def test_a_negative_count_is_named_by_line_and_nothing_is_stored(
        self, client: AsyncClient, session: AsyncSession, zones_2026: None, writer: dict[str, str]
    ) -> None:
        content = "zone_code,level,residents\nP01,primary,23400\nP02,primary,-1\nJ01,高中,5\n"
        response = await client.put(
            RESIDENTS, content=content.encode(), headers={**writer, "Content-Type": "text/csv"}
        )
        assert response.status_code == 422
        assert problem_errors(response) == [
            ("rows[3].residents", "greater_than_equal"),
            ("rows[4].level", "literal_error"),
        ]
        assert await stored(session) == 0

    async def test_a_negative_count_in_json_is_422(
        self, client: AsyncClient, session: AsyncSession, zones_2026: None, writer: dict[str, str]
    ) -> None:
        rows = [{**ROWS[0], "residents": -5}]
        response = await client.put(RESIDENTS, json={"rows": rows}, headers=writer)
        assert response.status_code == 422
        assert problem_errors(response) == [("rows.0.residents", "greater_than_equal")]
        assert await stored(session) == 0

    async def test_zones_must_be_of_the_map_of_their_level_once_each(
        self, client: AsyncClient, session: AsyncSession, zones_2026: None, writer: dict[str, str]
    ) -> None:
        rows = [
            {"zone_code": "P09", "level": "primary", "residents": 1},  # no such zone
            {"zone_code": "J01", "level": "primary", "residents": 1},  # a junior zone
            {"zone_code": "P01", "level": "primary", "residents": 1},
            {"zone_code": "P01", "level": "primary", "residents": 2},  # twice
        ]
        response = await client.put(RESIDENTS, json={"rows": rows}, headers=writer)
        assert response.status_code == 422
        assert problem_errors(response) == [
            ("rows[0].zone_code", "zone_in_map"),
            ("rows[1].zone_code", "zone_in_map"),
            ("rows[3]", "row_unique"),
        ]
        assert await stored(session) == 0

    async def test_without_a_zone_map_of_the_year_the_rows_are_refused(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            "/v1/zones/resident-population/150602/2031", json={"rows": ROWS[:1]}, headers=writer
        )
        assert response.status_code == 422
        assert problem_errors(response) == [("rows[0].zone_code", "zone_map_exists")]

    async def test_a_csv_without_the_level_column_is_400(
        self, client: AsyncClient, zones_2026: None, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            RESIDENTS,
            content=b"zone_code,residents\nP01,23400\n",
            headers={**writer, "Content-Type": "text/csv"},
        )
        assert response.status_code == 400
        assert problem_errors(response) == [("header", "column_required")]


class TestAccess:
    async def test_nothing_imported_is_404(
        self, client: AsyncClient, zones_2026: None, reader: dict[str, str]
    ) -> None:
        response = await client.get(RESIDENTS, headers=reader)
        assert response.status_code == 404
        assert problem_errors(response) == [("year", "resident_population_imported")]

    async def test_another_county_can_neither_read_nor_write(
        self, client: AsyncClient, zones_2026: None, writer: dict[str, str], token: TokenFactory
    ) -> None:
        await client.put(RESIDENTS, json={"rows": ROWS}, headers=writer)
        tongyu = auth(token("enrollment:read", "enrollment:write", jurisdiction=("220822",)))
        assert (await client.get(RESIDENTS, headers=tongyu)).status_code == 403
        response = await client.put(RESIDENTS, json={"rows": ROWS}, headers=tongyu)
        assert response.status_code == 403
        assert problem_errors(response) == [("county_code", "jurisdiction")]
