"""Zones' school lists as sheets (片区对口学校) and `enrollment.zone_map.published`, on SQLite and
PostgreSQL: the published event (no geometry), a sheet that re-assigns schools as version 2, the
same sheet again changing nothing, errors by row, export round trip.

Zones (conftest): P01 → school 1, P02 → school 2, P03 → schools 1 and 2 (多校)."""

import io
import json
import logging
from types import SimpleNamespace
from typing import Any

import pytest
from httpx import AsyncClient, Response
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.zoning.models import ZoneMap
from junheng_kit.tables import OutboxMessage
from junheng_kit.tabular import Column, write_xlsx
from junheng_kit.testing.plugin import TokenFactory, auth

IMPORTS = "/v1/zone-school-list-imports"
PUBLISHED = "enrollment.zone_map.published"
QUERY = {"county_code": "150602", "level": "primary", "year": 2026, "effective_from": "2025-06-01"}


async def published(session: AsyncSession) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(OutboxMessage.payload).where(OutboxMessage.subject == PUBLISHED)
    )
    return [json.loads(r) for r in rows]


async def upload(client: AsyncClient, headers: dict[str, str], text: str, **query: Any) -> Response:
    return await client.post(
        IMPORTS,
        params={**QUERY, **query},
        content=text.encode("utf-8-sig"),
        headers={**headers, "Content-Type": "text/csv"},
    )


def sheet(geo: SimpleNamespace, p03: str) -> str:
    return (
        "片区代码,片区名称,对口学校\r\n"
        f"P01,P01 片区,{geo.PRIMARY_1}\r\n"
        f"P02,P02 片区,{geo.PRIMARY_2}\r\n"
        f"P03,P03 片区,{p03}\r\n"
    )


class TestZoneMapPublished:
    async def test_an_imported_map_is_announced_with_its_school_lists_and_no_shapes(
        self,
        session: AsyncSession,
        first_map: dict[str, Any],
        geo: SimpleNamespace,
    ) -> None:
        [event] = await published(session)
        assert (event["subject"], event["jurisdiction"]) == (first_map["id"], "150602")
        assert event["data"] == {
            "zone_map_id": first_map["id"],
            "county_code": "150602",
            "level": "primary",
            "year": 2026,
            "version": 1,
            "effective_from": "2025-03-01",
            "zone_count": 3,
            "school_codes": [geo.PRIMARY_1, geo.PRIMARY_2],
            "zones": {
                "P01": [geo.PRIMARY_1],
                "P02": [geo.PRIMARY_2],
                "P03": [geo.PRIMARY_1, geo.PRIMARY_2],
            },
        }
        assert "coordinates" not in json.dumps(event)

    async def test_a_rejected_map_announces_nothing(
        self, client: AsyncClient, session: AsyncSession, schools: None, geo: SimpleNamespace,
        writer: dict[str, str],
    ) -> None:  # fmt: skip
        inside_p01 = geo.feature("P09", geo.box(109.97, 39.81, 109.975, 39.815), geo.PRIMARY_1)
        overlapping = geo.zone_map(geo.P01, inside_p01)
        response = await client.post("/v1/zone-maps", json=overlapping, headers=writer)
        assert response.status_code == 422
        assert await published(session) == []


class TestSchoolListImport:
    async def test_new_lists_are_version_2_with_the_same_shapes_and_an_event(
        self,
        client: AsyncClient,
        session: AsyncSession,
        first_map: dict[str, Any],
        geo: SimpleNamespace,
        writer: dict[str, str],
    ) -> None:
        response = await upload(client, writer, sheet(geo, f"{geo.NINE_YEAR}|{geo.PRIMARY_2}"))
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["updated"], body["unchanged"], body["detail"]["version"]) == (1, 2, 2)
        version_2 = (await client.get(response.headers["Location"], headers=writer)).json()
        assert version_2["effective_from"] == "2025-06-01"
        old = {f["properties"]["zone_code"]: f for f in first_map["zones"]["features"]}
        new = {f["properties"]["zone_code"]: f for f in version_2["zones"]["features"]}
        assert new["P03"]["properties"]["school_codes"] == [geo.NINE_YEAR, geo.PRIMARY_2]
        assert new["P03"]["geometry"] == old["P03"]["geometry"]
        events = await published(session)
        assert [e["data"]["version"] for e in events] == [1, 2]
        assert events[1]["data"]["school_codes"] == [geo.PRIMARY_1, geo.PRIMARY_2, geo.NINE_YEAR]

    async def test_the_same_sheet_twice_adds_one_version(
        self,
        client: AsyncClient,
        session: AsyncSession,
        first_map: dict[str, Any],
        geo: SimpleNamespace,
        writer: dict[str, str],
    ) -> None:
        text = sheet(geo, geo.NINE_YEAR)
        assert (await upload(client, writer, text)).status_code == 201
        again = await upload(client, writer, text)
        assert again.status_code == 200, again.text
        assert again.json()["detail"]["published"] is False
        assert await session.scalar(select(func.count()).select_from(ZoneMap)) == 2
        assert len(await published(session)) == 2

    async def test_bad_rows_are_named_and_no_version_is_added(
        self,
        client: AsyncClient,
        session: AsyncSession,
        first_map: dict[str, Any],
        geo: SimpleNamespace,
        writer: dict[str, str],
    ) -> None:
        text = (
            "片区代码,对口学校\r\n"
            f"P01,{geo.JUNIOR_1}\r\n"
            f"P02,{geo.TONGYU_PRIMARY}\r\n"
            "P07,2115069999\r\n"
        )
        response = await upload(client, writer, text)
        assert response.status_code == 422, response.text
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[4].zone_code", "zone_in_map"),
            ("rows[2].school_codes[0]", "school_level"),
            ("rows[3].school_codes[0]", "school_in_county"),
            ("rows[4].school_codes[0]", "school_registered"),
            ("rows", "zone_listed"),
        ]
        assert await session.scalar(select(func.count()).select_from(ZoneMap)) == 1
        assert len(await published(session)) == 1

    async def test_without_a_map_of_the_year_it_is_404(
        self, client: AsyncClient, first_map: dict[str, Any], geo: SimpleNamespace,
        writer: dict[str, str],
    ) -> None:  # fmt: skip
        response = await upload(client, writer, sheet(geo, geo.PRIMARY_1), year=2027)
        assert response.status_code == 404
        assert response.json()["errors"][0]["rule"] == "zone_map_exists"

    async def test_a_version_may_not_take_effect_before_the_last(
        self, client: AsyncClient, first_map: dict[str, Any], geo: SimpleNamespace,
        writer: dict[str, str],
    ) -> None:  # fmt: skip
        response = await upload(
            client, writer, sheet(geo, geo.PRIMARY_1), effective_from="2025-01-01"
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "effective_from_not_before_previous"


class TestSchoolListExport:
    async def test_a_workbook_with_typed_codes_and_a_blank_name_column(
        self,
        client: AsyncClient,
        session: AsyncSession,
        first_map: dict[str, Any],
        geo: SimpleNamespace,
        writer: dict[str, str],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        titles = ["片区代码", "片区名称", "片区类型", "对口学校"]
        workbook = write_xlsx(
            [Column(t, (t,)) for t in titles],
            [
                ["P01", None, None, geo.PRIMARY_1],
                ["P02", None, None, geo.PRIMARY_2],
                ["P03", None, None, f"{geo.NINE_YEAR}、{geo.PRIMARY_2}"],
            ],
            "片区",
        )
        with caplog.at_level(logging.DEBUG):
            response = await client.post(
                IMPORTS,
                params=QUERY,
                content=workbook,
                headers={**writer, "Content-Type": "application/vnd.openxmlformats-officedocument"
                         ".spreadsheetml.sheet"},
            )  # fmt: skip
        assert response.status_code == 201, response.text
        assert [r.getMessage() for r in caplog.records if r.name.startswith("fastexcel")] == []
        version_2 = (await client.get(response.headers["Location"], headers=writer)).json()
        zones = {
            f["properties"]["zone_code"]: (f["properties"]["name"], f["properties"]["school_codes"])
            for f in version_2["zones"]["features"]
        }
        assert zones == {
            "P01": ("P01 片区", [geo.PRIMARY_1]),  # a blank 片区名称 keeps the name
            "P02": ("P02 片区", [geo.PRIMARY_2]),
            "P03": ("P03 片区", [geo.NINE_YEAR, geo.PRIMARY_2]),
        }

    async def test_a_code_typed_as_a_number_is_that_code(
        self,
        client: AsyncClient,
        first_map: dict[str, Any],
        geo: SimpleNamespace,
        writer: dict[str, str],
    ) -> None:
        titles = ["片区代码", "对口学校"]
        rows = [
            ["P01", int(geo.PRIMARY_2)],
            ["P02", int(geo.PRIMARY_1)],
            ["P03", int(geo.PRIMARY_1)],
        ]
        response = await client.post(
            IMPORTS,
            params=QUERY,
            content=write_xlsx([Column(t, (t,)) for t in titles], rows, "片区"),
            headers={**writer, "Content-Type": "application/vnd.openxmlformats-officedocument"
                     ".spreadsheetml.sheet"},
        )  # fmt: skip
        assert response.status_code == 201, response.text
        version_2 = (await client.get(response.headers["Location"], headers=writer)).json()
        assert [f["properties"]["school_codes"] for f in version_2["zones"]["features"]] == [
            [geo.PRIMARY_2], [geo.PRIMARY_1], [geo.PRIMARY_1],
        ]  # fmt: skip

    async def test_the_export_reimports_as_no_change(
        self,
        client: AsyncClient,
        first_map: dict[str, Any],
        geo: SimpleNamespace,
        writer: dict[str, str],
    ) -> None:
        exported = await client.get(f"/v1/zone-maps/{first_map['id']}/school-lists", headers=writer)
        assert exported.status_code == 200
        rows = [
            list(r)
            for r in load_workbook(io.BytesIO(exported.content))
            .worksheets[0]
            .iter_rows(values_only=True)
        ]
        assert rows == [
            ["片区代码", "片区名称", "片区类型", "对口学校"],
            ["P01", "P01 片区", "单校划片", geo.PRIMARY_1],
            ["P02", "P02 片区", "单校划片", geo.PRIMARY_2],
            ["P03", "P03 片区", "多校划片", f"{geo.PRIMARY_1}|{geo.PRIMARY_2}"],
        ]
        again = await client.post(
            IMPORTS,
            params=QUERY,
            content=exported.content,
            headers={**writer, "Content-Type": "application/vnd.openxmlformats-officedocument"
                     ".spreadsheetml.sheet"},
        )  # fmt: skip
        assert again.status_code == 200, again.text
        assert again.json()["unchanged"] == 3

    async def test_another_county_cannot_export_the_lists(
        self, client: AsyncClient, first_map: dict[str, Any], token: TokenFactory
    ) -> None:
        tongyu = auth(token("enrollment:read", jurisdiction=("220822",)))
        response = await client.get(f"/v1/zone-maps/{first_map['id']}/school-lists", headers=tongyu)
        assert response.status_code == 404
