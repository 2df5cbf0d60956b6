"""Zone map import and versions over HTTP, on SQLite and PostgreSQL."""

from types import SimpleNamespace
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.zoning.models import AttendanceZone, ZoneMap
from junheng_kit.testing.plugin import TokenFactory, auth


async def stored_maps(session: AsyncSession) -> tuple[int, int]:
    maps = await session.scalar(select(func.count()).select_from(ZoneMap))
    zones = await session.scalar(select(func.count()).select_from(AttendanceZone))
    return int(maps or 0), int(zones or 0)


class TestImportZoneMap:
    async def test_a_map_is_stored_as_version_1_with_its_zones(
        self, client: AsyncClient, first_map: dict[str, Any]
    ) -> None:
        assert first_map["version"] == 1
        assert first_map["zone_count"] == 3
        assert len(first_map["source_sha256"]) == 64
        features = first_map["zones"]["features"]
        assert [f["properties"]["zone_code"] for f in features] == ["P01", "P02", "P03"]
        assert [f["properties"]["zone_type"] for f in features] == [
            "single_school",
            "single_school",
            "multi_school",
        ]
        # 0.01° × 0.01° at 39.815°N: 1,239,214.24 m² × cos 39.815° (0.768116) ≈ 951,860.2 m²
        assert features[0]["properties"]["area_m2"] == pytest.approx(951_860.2, abs=0.1)
        assert features[0]["geometry"]["type"] == "Polygon"

    async def test_reimport_adds_version_2_and_keeps_version_1(
        self,
        geo: SimpleNamespace,
        client: AsyncClient,
        first_map: dict[str, Any],
        writer: dict[str, str],
    ) -> None:
        response = await client.post(
            "/v1/zone-maps",
            json=geo.zone_map(geo.P01, geo.P02, effective_from="2025-06-01"),
            headers=writer,
        )
        assert response.status_code == 201
        assert response.json()["version"] == 2
        assert response.headers["location"] == f"/v1/zone-maps/{response.json()['id']}"
        listed = await client.get(
            "/v1/zone-maps",
            params={"county_code": "150602", "level": "primary", "year": 2026},
            headers=writer,
        )
        assert [m["version"] for m in listed.json()["items"]] == [2, 1]
        old = await client.get(f"/v1/zone-maps/{first_map['id']}", headers=writer)
        assert old.json()["zone_count"] == 3

    async def test_a_version_may_not_take_effect_before_the_one_it_replaces(
        self,
        geo: SimpleNamespace,
        client: AsyncClient,
        first_map: dict[str, Any],
        writer: dict[str, str],
    ) -> None:
        response = await client.post(
            "/v1/zone-maps", json=geo.zone_map(geo.P01, effective_from="2025-01-01"), headers=writer
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "field": "effective_from",
                "rule": "effective_from_not_before_previous",
                "message": "版本 1 自 2025-03-01 起生效",
            }
        ]


class TestRejectedZoneMaps:
    async def test_overlapping_zones_name_both_codes_and_the_area_and_store_nothing(
        self,
        geo: SimpleNamespace,
        client: AsyncClient,
        session: AsyncSession,
        schools: None,
        writer: dict[str, str],
    ) -> None:
        # P09 covers the east half of P01: 0.005° × 0.01° at 39.815°N
        # = 5e-5 deg² × 111,320² × cos 39.815° = 619,607.12 × 0.768116 ≈ 475,930.1 m²
        p09 = geo.feature("P09", geo.box(109.975, 39.81, 109.985, 39.82), geo.PRIMARY_1)
        response = await client.post(
            "/v1/zone-maps", json=geo.zone_map(geo.P01, p09), headers=writer
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        [error] = response.json()["errors"]
        assert error["field"] == "zones.features[1].geometry"
        assert error["rule"] == "zones_not_overlapping"
        assert error["message"] == "学区 P01 与学区 P09 重叠 475930.1 平方米"
        assert await stored_maps(session) == (0, 0)

    async def test_a_self_intersecting_polygon_names_its_feature(
        self, geo: SimpleNamespace, client: AsyncClient, schools: None, writer: dict[str, str]
    ) -> None:
        bowtie = geo.feature(
            "P09",
            {
                "type": "Polygon",
                "coordinates": [
                    [
                        [110.0, 39.81],
                        [110.01, 39.82],
                        [110.01, 39.81],
                        [110.0, 39.82],
                        [110.0, 39.81],
                    ]
                ],
            },
            geo.PRIMARY_1,
        )
        response = await client.post(
            "/v1/zone-maps", json=geo.zone_map(geo.P01, bowtie), headers=writer
        )
        assert response.status_code == 422
        [error] = response.json()["errors"]
        assert (error["field"], error["rule"]) == ("zones.features[1].geometry", "polygon_valid")
        assert error["message"].startswith("Self-intersection")

    async def test_unknown_foreign_and_wrong_level_schools_are_each_named(
        self,
        geo: SimpleNamespace,
        client: AsyncClient,
        session: AsyncSession,
        schools: None,
        writer: dict[str, str],
    ) -> None:
        bad = geo.feature(
            "P01", geo.P01["geometry"], "2115069999", geo.TONGYU_PRIMARY, geo.JUNIOR_1
        )
        response = await client.post("/v1/zone-maps", json=geo.zone_map(bad), headers=writer)
        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("zones.features[0].properties.school_codes[0]", "school_registered"),
            ("zones.features[0].properties.school_codes[1]", "school_in_county"),
            ("zones.features[0].properties.school_codes[2]", "school_level"),
        ]
        assert await stored_maps(session) == (0, 0)

    async def test_a_zone_code_twice_is_rejected(
        self, geo: SimpleNamespace, client: AsyncClient, schools: None, writer: dict[str, str]
    ) -> None:
        twice = geo.feature("P01", geo.P02["geometry"], geo.PRIMARY_1)
        response = await client.post(
            "/v1/zone-maps", json=geo.zone_map(geo.P01, twice), headers=writer
        )
        assert response.json()["errors"][0]["field"] == "zones.features[1].properties.zone_code"
        assert response.json()["errors"][0]["rule"] == "zone_code_unique"

    async def test_a_property_missing_is_a_schema_error(
        self, geo: SimpleNamespace, client: AsyncClient, schools: None, writer: dict[str, str]
    ) -> None:
        broken = {**geo.P01, "properties": {"zone_code": "P01", "name": "P01"}}
        response = await client.post("/v1/zone-maps", json=geo.zone_map(broken), headers=writer)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "zones.features.0.properties.school_codes"
        assert response.json()["errors"][0]["rule"] == "missing"

    async def test_another_countys_map_is_forbidden(
        self, geo: SimpleNamespace, client: AsyncClient, schools: None, writer: dict[str, str]
    ) -> None:
        response = await client.post(
            "/v1/zone-maps", json=geo.zone_map(geo.P01, county_code="220822"), headers=writer
        )
        assert response.status_code == 403
        assert response.json()["errors"][0]["rule"] == "jurisdiction"


class TestReadZoneMaps:
    async def test_another_county_cannot_read_the_map(
        self, client: AsyncClient, first_map: dict[str, Any], token: TokenFactory
    ) -> None:
        tongyu = auth(token("enrollment:read", jurisdiction=("220822",)))
        assert (
            await client.get(f"/v1/zone-maps/{first_map['id']}", headers=tongyu)
        ).status_code == 404
        listed = await client.get("/v1/zone-maps", headers=tongyu)
        assert listed.json()["items"] == []

    async def test_versions_page_by_cursor(
        self,
        geo: SimpleNamespace,
        client: AsyncClient,
        first_map: dict[str, Any],
        writer: dict[str, str],
    ) -> None:
        second = await client.post(
            "/v1/zone-maps", json=geo.zone_map(geo.P01, effective_from="2025-06-01"), headers=writer
        )
        page = await client.get("/v1/zone-maps", params={"limit": 1}, headers=writer)
        assert [m["id"] for m in page.json()["items"]] == [second.json()["id"]]
        rest = await client.get(
            "/v1/zone-maps",
            params={"limit": 1, "cursor": page.json()["next_cursor"]},
            headers=writer,
        )
        assert [m["id"] for m in rest.json()["items"]] == [first_map["id"]]
        assert rest.json()["next_cursor"] is None
