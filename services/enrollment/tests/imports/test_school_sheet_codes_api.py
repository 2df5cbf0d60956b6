"""学校信息表 with the national codes (issue 19): code or label per cell, a blank cell keeps the
registry's value, the row as it will be stored checked as a whole, labels in the export."""

import io
import json

from httpx import AsyncClient, Response
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.schools.models import School
from junheng_kit.tables import OutboxMessage

CSV = "text/csv"
HEADER = "学校标识码,学校名称,学段,所在区县代码,经度,纬度,规划学位数"
CODED = (
    f"{HEADER},办学类型,城乡分类代码,统计用区划代码,办学性质\r\n"
    "2115061001,东胜区第十小学,小学,150602,109.98,39.81,1800,小学,主城区,150602001001,公办\r\n"
    "3115061002,东胜区十中,九年一贯制,150602,109.99,39.82,2400,312,122,150602104201,民办\r\n"
)
PLAIN = (
    f"{HEADER}\r\n"
    "2115061001,东胜区第十小学,小学,150602,109.98,39.81,1800\r\n"
    "3115061002,东胜区十中,九年一贯制,150602,109.99,39.82,2400\r\n"
)


async def post(client: AsyncClient, headers: dict[str, str], sheet: str) -> Response:
    return await client.post(
        "/v1/school-imports", content=sheet.encode(), headers={**headers, "Content-Type": CSV}
    )


async def stored(session: AsyncSession) -> list[tuple[str, str | None, str | None, str | None]]:
    rows = await session.execute(
        select(School.school_code, School.school_type, School.urban_rural_code, School.ownership)
        .order_by(School.school_code)
    )  # fmt: skip
    return [tuple(r) for r in rows]  # type: ignore[misc]


class TestCodedSheet:
    async def test_labels_and_codes_are_stored_as_codes_and_announced(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        response = await post(client, writer, CODED)
        assert response.status_code == 201, response.text
        assert await stored(session) == [
            ("2115061001", "211", "111", "public"),
            ("3115061002", "312", "122", "private"),
        ]
        payloads = await session.scalars(
            select(OutboxMessage.payload).where(
                OutboxMessage.subject == "enrollment.school.registered"
            )
        )
        data = sorted((json.loads(p)["data"] for p in payloads), key=lambda d: d["school_code"])
        assert [(d["school_type"], d["division_code"], d["ownership"]) for d in data] == [
            ("211", "150602001001", "public"),
            ("312", "150602104201", "private"),
        ]

    async def test_a_sheet_without_the_codes_keeps_them(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        await post(client, writer, CODED)
        again = await post(client, writer, PLAIN)
        assert again.status_code == 201, again.text
        assert (again.json()["updated"], again.json()["unchanged"]) == (0, 2)
        assert await stored(session) == [
            ("2115061001", "211", "111", "public"),
            ("3115061002", "312", "122", "private"),
        ]

    async def test_codes_added_to_known_schools_update_them(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        await post(client, writer, PLAIN)
        response = await post(client, writer, CODED)
        assert (response.json()["updated"], response.json()["unchanged"]) == (2, 0)
        versions = await session.scalars(select(School.version).order_by(School.school_code))
        assert list(versions) == [2, 2]

    async def test_the_export_writes_labels_and_reimports_unchanged(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        await post(client, writer, CODED)
        exported = await client.get(
            "/v1/school-exports", params={"county_code": "150602"}, headers=writer
        )
        rows = [
            list(r)
            for r in load_workbook(io.BytesIO(exported.content))
            .worksheets[0]
            .iter_rows(values_only=True)
        ]
        assert rows[2][7:] == ["九年一贯制学校", "122", "150602104201", "民办"]
        again = await client.post(
            "/v1/school-imports",
            content=exported.content,
            headers={**writer, "Content-Type": exported.headers["content-type"]},
        )
        assert again.status_code == 201, again.text
        assert again.json()["unchanged"] == 2


class TestContradictions:
    async def test_each_contradicting_row_is_named_and_nothing_is_imported(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        sheet = (
            f"{HEADER},办学类型,统计用区划代码\r\n"
            "2115061001,东胜区第十小学,初中,150602,109.98,39.81,1800,小学,\r\n"
            "3115061002,东胜区十中,九年一贯制,150602,109.99,39.82,2400,312,220822100001\r\n"
            "2115061003,东胜区某小学,小学,150602,109.99,39.82,600,218,150602001002\r\n"
        )
        response = await post(client, writer, sheet)
        assert response.status_code == 422, response.text
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[2].school_type", "school_type_levels"),
            ("rows[3].division_code", "division_code_in_county"),
        ]
        assert await session.scalar(select(func.count()).select_from(School)) == 0

    async def test_levels_that_contradict_the_stored_type_are_refused(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        """The type the registry holds stays (no 办学类型 column), so the new 学段 meet it."""
        await post(client, writer, CODED)
        changed = PLAIN.replace("东胜区十中,九年一贯制", "东胜区十中,小学")
        response = await post(client, writer, changed)
        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[3].school_type", "school_type_levels")
        ]

    async def test_an_unknown_code_is_named_for_its_cell(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        sheet = CODED.replace(",122,", ",城市,")
        response = await post(client, writer, sheet)
        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[3].urban_rural_code", "urban_rural_code_known")
        ]
