"""学校信息表 over HTTP: import (CSV with BOM, XLSX), upsert, events, errors, export round trip and
template, on SQLite and PostgreSQL."""

import io
import json
import logging

import pytest
from httpx import AsyncClient, Response
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.schools.models import School
from junheng_kit.tables import OutboxMessage
from junheng_kit.tabular import Column, write_xlsx
from junheng_kit.testing.plugin import TokenFactory, auth

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = "学校标识码,学校名称,学段,所在区县代码,经度,纬度,规划学位数\r\n"
TWO_SCHOOLS = (
    HEADER
    + "2115061001,东胜区第十小学,小学,150602,109.98,39.81,1800\r\n"
    + "3115061002,东胜区十中,初中、九年一贯制,150602,109.99,39.82,2400\r\n"
)


async def post(
    client: AsyncClient, headers: dict[str, str], body: bytes, media: str = CSV
) -> Response:
    return await client.post(
        "/v1/school-imports", content=body, headers={**headers, "Content-Type": media}
    )


async def events(session: AsyncSession, subject: str) -> list[dict[str, object]]:
    rows = await session.scalars(
        select(OutboxMessage.payload).where(OutboxMessage.subject == subject)
    )
    return [json.loads(r) for r in rows]


class TestSchoolImport:
    async def test_csv_with_bom_registers_every_school_and_announces_each(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        response = await post(client, writer, TWO_SCHOOLS.encode("utf-8-sig"))
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["kind"], body["rows"], body["created"], body["updated"]) == (
            "schools", 2, 2, 0,
        )  # fmt: skip
        school = (await client.get("/v1/schools/3115061002", headers=writer)).json()
        assert school["levels"] == ["junior", "nine_year"]
        assert school["planned_capacity"] == 2400
        registered = await events(session, "enrollment.school.registered")
        assert sorted(e["subject"] for e in registered) == ["2115061001", "3115061002"]
        assert {e["data"]["version"] for e in registered} == {1}

    async def test_the_same_sheet_twice_registers_nothing_twice(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        await post(client, writer, TWO_SCHOOLS.encode())
        again = await post(client, writer, TWO_SCHOOLS.encode())
        assert again.status_code == 201
        assert (again.json()["created"], again.json()["unchanged"]) == (0, 2)
        assert await session.scalar(select(func.count()).select_from(School)) == 2
        assert len(await events(session, "enrollment.school.registered")) == 2
        assert await events(session, "enrollment.school.updated") == []

    async def test_a_changed_row_updates_the_school_as_version_2(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        await post(client, writer, TWO_SCHOOLS.encode())
        changed = TWO_SCHOOLS.replace("109.98,39.81,1800", "109.98,39.81,2000")
        response = await post(client, writer, changed.encode())
        assert (response.json()["updated"], response.json()["unchanged"]) == (1, 1)
        school = (await client.get("/v1/schools/2115061001", headers=writer)).json()
        assert (school["planned_capacity"], school["version"]) == (2000, 2)
        updated = await events(session, "enrollment.school.updated")
        assert [(e["subject"], e["data"]["version"]) for e in updated] == [("2115061001", 2)]

    async def test_bad_rows_are_named_and_nothing_is_imported(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        sheet = (
            HEADER
            + "2115061001,东胜区第十小学,小学,150602,109.98,39.81,1800\r\n"
            + "211506100,短码小学,小学,150602,109.98,39.81,1800\r\n"
            + "2115061003,东胜区某校,高中,150602,109.98,39.81,0\r\n"
            + "2115061001,重复小学,小学,150602,109.98,39.81,900\r\n"
        )
        response = await post(client, writer, sheet.encode())
        assert response.status_code == 422, response.text
        errors = [(e["field"], e["rule"]) for e in response.json()["errors"]]
        # cell checks come first: the duplicate on row 5 is named once the cells are valid
        assert errors == [
            ("rows[3].school_code", "school_code_format"),
            ("rows[4].levels", "literal_error"),
            ("rows[4].planned_capacity", "greater_than_equal"),
        ]
        assert await session.scalar(select(func.count()).select_from(School)) == 0
        assert await events(session, "enrollment.school.registered") == []

    async def test_a_duplicate_code_in_the_sheet_names_the_second_row(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        sheet = TWO_SCHOOLS + "2115061001,重复小学,小学,150602,109.98,39.81,900\r\n"
        response = await post(client, writer, sheet.encode())
        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[4].school_code", "school_code_unique")
        ]
        assert await session.scalar(select(func.count()).select_from(School)) == 0

    async def test_a_school_of_another_county_is_403_for_the_row(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        tongyu = auth(token("enrollment:write", jurisdiction=("220822",)))
        response = await post(client, tongyu, TWO_SCHOOLS.encode())
        assert response.status_code == 403
        assert [e["field"] for e in response.json()["errors"]] == [
            "rows[2].county_code",
            "rows[3].county_code",
        ]

    async def test_a_missing_column_is_400_naming_its_title(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        sheet = "学校标识码,学校名称\r\n2115061001,东胜区第十小学\r\n"
        response = await post(client, writer, sheet.encode())
        assert response.status_code == 400
        assert {e["message"] for e in response.json()["errors"]} == {
            "学段", "所在区县代码", "经度", "纬度", "规划学位数",
        }  # fmt: skip


class TestSchoolWorkbook:
    async def test_typed_cells_upsert_column_wise_with_the_events_of_the_single_routes(
        self,
        client: AsyncClient,
        session: AsyncSession,
        writer: dict[str, str],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        await post(client, writer, TWO_SCHOOLS.encode())
        titles = [*HEADER.strip().split(","), "备注"]  # a column of no field, left blank
        workbook = write_xlsx(
            [Column(t, (t,)) for t in titles],
            [
                [2115061001, "东胜区第十小学", "小学", 150602, 109.98, 39.81, 2000, None],
                [3115061002, "东胜区十中", "初中、九年一贯制", 150602, 109.99, 39.82, 2400, None],
                [2115061003, " 东胜区第十二小学 ", "小学", 150602, 110, 39.8, 1200.0, None],
            ],
            "学校",
        )
        with caplog.at_level(logging.DEBUG):
            response = await post(client, writer, workbook, XLSX)
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["rows"], body["created"], body["updated"], body["unchanged"]) == (3, 1, 1, 1)
        assert [r.getMessage() for r in caplog.records if r.name.startswith("fastexcel")] == []
        [registered] = [
            e for e in await events(session, "enrollment.school.registered")
            if e["subject"] == "2115061003"
        ]  # fmt: skip
        assert registered["jurisdiction"] == "150602"
        assert registered["data"] == {
            "school_code": "2115061003", "name": "东胜区第十二小学", "levels": ["primary"],
            "county_code": "150602", "longitude": 110.0, "latitude": 39.8,
            "planned_capacity": 1200, "version": 1,
            # the national codes: none in this sheet, none in the registry
            "school_type": None, "urban_rural_code": None, "division_code": None,
            "ownership": None,
        }  # fmt: skip
        [updated] = await events(session, "enrollment.school.updated")
        assert updated["data"] == {
            "school_code": "2115061001", "name": "东胜区第十小学", "levels": ["primary"],
            "county_code": "150602", "longitude": 109.98, "latitude": 39.81,
            "planned_capacity": 2000, "version": 2,
            # the national codes: none in this sheet, none in the registry
            "school_type": None, "urban_rural_code": None, "division_code": None,
            "ownership": None,
        }  # fmt: skip
        school = (await client.get("/v1/schools/2115061003", headers=writer)).json()
        assert (school["name"], school["location"], school["version"]) == (
            "东胜区第十二小学", {"longitude": 110.0, "latitude": 39.8}, 1,
        )  # fmt: skip

    async def test_a_row_the_fast_path_leaves_to_the_schema_imports_alike(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        sheet = (
            HEADER
            + "2115061001,东胜区第十小学,小学,150602,1.0998e2,39.81,1800\r\n"
            + "3115061002,东胜区十中,初中,150602,109.99,39.82,2400\r\n"
        )
        response = await post(client, writer, sheet.encode())
        assert response.status_code == 201, response.text
        school = (await client.get("/v1/schools/2115061001", headers=writer)).json()
        assert school["location"] == {"longitude": 109.98, "latitude": 39.81}


class TestSchoolExport:
    async def test_xlsx_export_reimports_as_unchanged(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        await post(client, writer, TWO_SCHOOLS.encode())
        exported = await client.get(
            "/v1/school-exports", params={"county_code": "150602"}, headers=writer
        )
        assert exported.status_code == 200
        assert exported.headers["content-type"] == XLSX
        sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert rows[0] == [
            "学校标识码",
            "学校名称",
            "学段",
            "所在区县代码",
            "经度",
            "纬度",
            "规划学位数",
            "办学类型",
            "城乡分类代码",
            "统计用区划代码",
            "办学性质",
        ]
        assert rows[2] == [
            "3115061002",
            "东胜区十中",
            "初中、九年一贯制",
            "150602",
            109.99,
            39.82,
            2400,
            None,
            None,
            None,
            None,
        ]
        again = await post(client, writer, exported.content, XLSX)
        assert again.status_code == 201, again.text
        assert (again.json()["created"], again.json()["updated"], again.json()["unchanged"]) == (
            0, 0, 2,
        )  # fmt: skip

    async def test_csv_template_is_the_header_row_only(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.get(
            "/v1/import-templates/schools", params={"format": "csv"}, headers=writer
        )
        assert response.status_code == 200
        assert response.content.decode("utf-8-sig") == (
            HEADER.removesuffix("\r\n") + ",办学类型,城乡分类代码,统计用区划代码,办学性质\r\n"
        )


class TestSchoolImportJurisdiction:
    async def test_a_code_registered_in_another_county_is_refused_by_row(
        self, client: AsyncClient, session: AsyncSession, token: TokenFactory
    ) -> None:
        tongyu = auth(token("enrollment:write", jurisdiction=("220822",)))
        taken = HEADER + "2115061001,通榆县某小学,小学,220822,123.08,44.81,900\r\n"
        assert (await post(client, tongyu, taken.encode())).status_code == 201
        dongsheng = auth(token("enrollment:write", jurisdiction=("150602",)))
        response = await post(client, dongsheng, TWO_SCHOOLS.encode())
        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[2].school_code", "jurisdiction")
        ]
        assert await session.scalar(select(func.count()).select_from(School)) == 1
