"""Point → zone lookups (one, bulk CSV/JSON), versions in force, and the re-zoning preview."""

from types import SimpleNamespace
from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.zoning.service import zone_options
from junheng_kit.tabular import Column, write_xlsx
from junheng_kit.testing.plugin import TokenFactory, auth

PRIMARY_2026 = {"county_code": "150602", "level": "primary", "year": 2026}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def lookup(client: AsyncClient, headers: dict[str, str], **params: Any) -> Any:
    return await client.get("/v1/zones/lookup", params={**PRIMARY_2026, **params}, headers=headers)


class TestLookupOne:
    async def test_a_point_inside_a_single_school_zone(
        self, client: AsyncClient, first_map: dict[str, Any], reader: dict[str, str]
    ) -> None:
        response = await lookup(client, reader, longitude=109.975, latitude=39.815)
        assert response.status_code == 200
        body = response.json()
        assert body["zone_map"]["id"] == first_map["id"]
        assert (body["zone_code"], body["zone_type"], body["school_codes"]) == (
            "P01",
            "single_school",
            ["2115060001"],
        )

    async def test_a_point_in_a_multi_school_zone_gets_both_schools(
        self, client: AsyncClient, first_map: dict[str, Any], reader: dict[str, str]
    ) -> None:
        body = (await lookup(client, reader, longitude=109.985, latitude=39.825)).json()
        assert (body["zone_code"], body["zone_type"]) == ("P03", "multi_school")
        assert body["school_codes"] == ["2115060001", "2115060002"]

    async def test_a_point_on_the_shared_border_belongs_to_the_first_code(
        self, client: AsyncClient, first_map: dict[str, Any], reader: dict[str, str]
    ) -> None:
        body = (await lookup(client, reader, longitude=109.98, latitude=39.815)).json()
        assert body["zone_code"] == "P01"

    async def test_a_point_outside_every_zone_is_404(
        self, client: AsyncClient, first_map: dict[str, Any], reader: dict[str, str]
    ) -> None:
        response = await lookup(client, reader, longitude=109.90, latitude=39.815)
        assert response.status_code == 404
        assert response.json()["errors"][0]["rule"] == "point_in_zone"

    async def test_without_a_map_for_the_year_is_404(
        self, client: AsyncClient, first_map: dict[str, Any], reader: dict[str, str]
    ) -> None:
        response = await lookup(client, reader, longitude=109.975, latitude=39.815, year=2027)
        assert response.status_code == 404
        assert response.json()["errors"][0]["rule"] == "zone_map_in_force"

    async def test_another_county_cannot_look_up_dongsheng_zones(
        self, client: AsyncClient, first_map: dict[str, Any], token: TokenFactory
    ) -> None:
        tongyu = auth(token("enrollment:read", jurisdiction=("220822",)))
        response = await lookup(client, tongyu, longitude=109.975, latitude=39.815)
        assert response.status_code == 403
        assert response.json()["errors"][0]["field"] == "query.county_code"

    async def test_latitude_out_of_range_is_a_schema_error(
        self, client: AsyncClient, reader: dict[str, str]
    ) -> None:
        response = await lookup(client, reader, longitude=109.975, latitude=95)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "query.latitude"


class TestVersions:
    async def test_the_version_in_force_on_a_date_answers(
        self,
        client: AsyncClient,
        first_map: dict[str, Any],
        geo: SimpleNamespace,
        writer: dict[str, str],
    ) -> None:
        # version 2 (from 2025-06-01) gives P01 the whole south half: P01 and P03 only
        south = geo.feature("P01", geo.box(109.97, 39.81, 109.99, 39.82), geo.PRIMARY_1)
        second = await client.post(
            "/v1/zone-maps",
            json=geo.zone_map(south, geo.P03, effective_from="2025-06-01"),
            headers=writer,
        )
        assert second.status_code == 201
        point = {"longitude": 109.985, "latitude": 39.815}
        old = (await lookup(client, writer, on="2025-04-01", **point)).json()
        new = (await lookup(client, writer, on="2025-07-01", **point)).json()
        today = (await lookup(client, writer, **point)).json()
        assert (old["zone_code"], old["zone_map"]["version"]) == ("P02", 1)
        assert (new["zone_code"], new["zone_map"]["version"]) == ("P01", 2)
        assert (today["zone_code"], today["zone_map"]["version"]) == ("P01", 2)
        before = await lookup(client, writer, on="2025-02-01", **point)
        assert before.status_code == 404

    async def test_zone_options_for_applications(
        self, client: AsyncClient, first_map: dict[str, Any], session: AsyncSession
    ) -> None:
        found = await zone_options(session, "150602", "primary", 2026, 109.985, 39.825)
        assert found == ("P03", ["2115060001", "2115060002"])
        assert await zone_options(session, "150602", "primary", 2026, 109.90, 39.815) is None
        assert await zone_options(session, "150602", "junior", 2026, 109.985, 39.825) is None


POINTS_CSV = (
    "id,longitude,latitude\n"
    "h1,109.975,39.815\n"
    "h2,109.985,39.815\n"
    "h3,109.985,39.825\n"
    "h4,109.90,39.815\n"
)


class TestBulkLookup:
    async def test_csv_in_json_out(
        self, client: AsyncClient, first_map: dict[str, Any], reader: dict[str, str]
    ) -> None:
        response = await client.post(
            "/v1/zones/lookups",
            params=PRIMARY_2026,
            content=POINTS_CSV.encode(),
            headers={**reader, "Content-Type": "text/csv"},
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["matched"], body["unmatched"]) == (3, 1)
        assert [(r["id"], r["zone_code"]) for r in body["results"]] == [
            ("h1", "P01"),
            ("h2", "P02"),
            ("h3", "P03"),
            ("h4", None),
        ]

    async def test_csv_in_csv_out(
        self, client: AsyncClient, first_map: dict[str, Any], reader: dict[str, str]
    ) -> None:
        response = await client.post(
            "/v1/zones/lookups",
            params=PRIMARY_2026,
            content=POINTS_CSV.encode(),
            headers={**reader, "Content-Type": "text/csv", "Accept": "text/csv"},
        )
        assert response.headers["content-type"].startswith("text/csv")
        assert response.text == (
            "id,zone_code,zone_type,school_codes\n"
            "h1,P01,single_school,2115060001\n"
            "h2,P02,single_school,2115060002\n"
            "h3,P03,multi_school,2115060001|2115060002\n"
            "h4,,,\n"
        )

    async def test_json_preferred_by_quality_answers_json(
        self, client: AsyncClient, first_map: dict[str, Any], reader: dict[str, str]
    ) -> None:
        response = await client.post(
            "/v1/zones/lookups",
            params=PRIMARY_2026,
            content=POINTS_CSV.encode(),
            headers={
                **reader,
                "Content-Type": "text/csv",
                "Accept": "application/json, text/csv;q=0.5",
            },
        )
        assert response.headers["content-type"] == "application/json"
        assert response.json()["matched"] == 3

    async def test_json_points(
        self, client: AsyncClient, first_map: dict[str, Any], reader: dict[str, str]
    ) -> None:
        response = await client.post(
            "/v1/zones/lookups",
            params=PRIMARY_2026,
            json={"points": [{"id": "a", "longitude": 109.985, "latitude": 39.815}]},
            headers=reader,
        )
        assert response.json()["results"] == [
            {
                "id": "a",
                "zone_code": "P02",
                "zone_type": "single_school",
                "school_codes": ["2115060002"],
            }
        ]

    async def test_bad_rows_are_named_by_line_and_nothing_is_looked_up(
        self, client: AsyncClient, first_map: dict[str, Any], reader: dict[str, str]
    ) -> None:
        content = (
            "id,longitude,latitude\nh1,109.975,39.815\nh2,东经,39.815\nh3,109.9,95\n,109.9,39.8\n"
        )
        response = await client.post(
            "/v1/zones/lookups",
            params=PRIMARY_2026,
            content=content.encode(),
            headers={**reader, "Content-Type": "text/csv"},
        )
        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[5].id", "id_required"),
            ("rows[3].longitude", "number"),
            ("rows[4].latitude", "latitude_range"),
        ]

    async def test_a_missing_column_is_named(
        self, client: AsyncClient, first_map: dict[str, Any], reader: dict[str, str]
    ) -> None:
        response = await client.post(
            "/v1/zones/lookups",
            params=PRIMARY_2026,
            content=b"id,longitude\nh1,109.9\n",
            headers={**reader, "Content-Type": "text/csv"},
        )
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"field": "header", "rule": "column_required", "message": "latitude"}
        ]

    async def test_an_xlsx_sheet_with_number_cells_and_a_blank_line(
        self, client: AsyncClient, first_map: dict[str, Any], reader: dict[str, str]
    ) -> None:
        columns = [Column(t, (t,)) for t in ("编号", "经度", "纬度", "备注")]
        rows = [
            [1, 109.975, 39.815, None],  # an id typed as a number
            [None, None, None, None],
            ["h3", 109.985, 39.825, None],
            ["h4", 109.90, 95, None],
        ]
        response = await client.post(
            "/v1/zones/lookups",
            params=PRIMARY_2026,
            content=write_xlsx(columns, rows, "点位"),
            headers={**reader, "Content-Type": XLSX},
        )
        assert response.status_code == 422  # the blank line keeps the sheet's numbering
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[5].latitude", "latitude_range")
        ]
        rows[3][2] = 39.815
        response = await client.post(
            "/v1/zones/lookups",
            params=PRIMARY_2026,
            content=write_xlsx(columns, rows, "点位"),
            headers={**reader, "Content-Type": XLSX},
        )
        assert response.status_code == 200, response.text
        assert [(r["id"], r["zone_code"]) for r in response.json()["results"]] == [
            ("1", "P01"),
            ("h3", "P03"),
            ("h4", None),
        ]

    async def test_an_unreadable_workbook_is_400(
        self, client: AsyncClient, first_map: dict[str, Any], reader: dict[str, str]
    ) -> None:
        response = await client.post(
            "/v1/zones/lookups",
            params=PRIMARY_2026,
            content=b"PK\x03\x04 not a workbook",
            headers={**reader, "Content-Type": XLSX},
        )
        assert response.status_code == 400
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("body", "xlsx_readable")
        ]

    async def test_other_media_types_are_415(
        self, client: AsyncClient, first_map: dict[str, Any], reader: dict[str, str]
    ) -> None:
        response = await client.post(
            "/v1/zones/lookups",
            params=PRIMARY_2026,
            content=b"<points/>",
            headers={**reader, "Content-Type": "application/xml"},
        )
        assert response.status_code == 415


class TestPreview:
    async def test_who_changes_school_and_the_seat_balance_before_and_after(
        self,
        client: AsyncClient,
        first_map: dict[str, Any],
        geo: SimpleNamespace,
        writer: dict[str, str],
    ) -> None:
        for school, classes in ((geo.PRIMARY_1, 1), (geo.PRIMARY_2, 2)):
            response = await client.put(
                f"/v1/schools/{school}/seats/2026",
                json={"level": "primary", "planned_classes": classes},
                headers=writer,
            )
            assert response.status_code == 201
        # the draft moves the P01|P02 edge east to 109.985
        draft = geo.collection(
            geo.feature("P01", geo.box(109.97, 39.81, 109.985, 39.82), geo.PRIMARY_1),
            geo.feature("P02", geo.box(109.985, 39.81, 109.99, 39.82), geo.PRIMARY_2),
            geo.P03,
        )
        points = [
            {"id": "h1", "longitude": 109.975, "latitude": 39.815},
            {"id": "h2", "longitude": 109.982, "latitude": 39.815},
            {"id": "h3", "longitude": 109.988, "latitude": 39.815},
            {"id": "h4", "longitude": 109.975, "latitude": 39.825, "current_choice": geo.PRIMARY_2},
            {"id": "h5", "longitude": 109.985, "latitude": 39.825},
        ]
        response = await client.post(
            "/v1/zone-maps/preview",
            json={**PRIMARY_2026, "zones": draft, "points": points},
            headers=writer,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["base_map"]["id"] == first_map["id"]
        assert (body["zone_changed"], body["school_changed"]) == (1, 1)
        moved = next(p for p in body["points"] if p["id"] == "h2")
        assert (moved["old_zone_code"], moved["new_zone_code"]) == ("P02", "P01")
        assert (moved["old_school"], moved["new_school"]) == (geo.PRIMARY_2, geo.PRIMARY_1)
        # school 1: 45 seats; before h1 + ½ h5 = 1.5, after h1 + h2 + ½ h5 = 2.5
        # school 2: 90 seats; before h2 + h3 + h4 + ½ h5 = 3.5, after 2.5
        assert body["schools"] == [
            {
                "school_code": geo.PRIMARY_1,
                "seats": 45,
                "demand_before": "1.50",
                "demand_after": "2.50",
                "balance_before": "43.50",
                "balance_after": "42.50",
            },
            {
                "school_code": geo.PRIMARY_2,
                "seats": 90,
                "demand_before": "3.50",
                "demand_after": "2.50",
                "balance_before": "86.50",
                "balance_after": "87.50",
            },
        ]

    async def test_an_overlapping_draft_is_rejected_like_an_import(
        self,
        client: AsyncClient,
        first_map: dict[str, Any],
        geo: SimpleNamespace,
        reader: dict[str, str],
    ) -> None:
        draft = geo.collection(
            geo.P01, geo.feature("P09", geo.box(109.975, 39.81, 109.985, 39.82), geo.PRIMARY_1)
        )
        response = await client.post(
            "/v1/zone-maps/preview",
            json={**PRIMARY_2026, "zones": draft, "points": []},
            headers=reader,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "zones_not_overlapping"
