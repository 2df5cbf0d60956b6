"""GET /v1/counties/{county}/trends and GET /v1/rollups, on SQLite and PostgreSQL."""

from typing import Any

import pytest
from httpx import AsyncClient

from junheng_kit.testing.plugin import TokenFactory, auth


@pytest.fixture
def fixed(county: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The county with one more qualified teacher at 2115060003 (13 / 300 × 100 = 4.33 ≥ 4.2):
    6 of 7 there, and every section passes."""
    return [*county[:2], {**county[2], "teachers_above_required_degree": 13}, county[3]]


@pytest.fixture
def writer(token: TokenFactory) -> dict[str, str]:
    return auth(token("evaluation:read", "evaluation:write", jurisdiction=("15",)))


async def assess(
    client: AsyncClient, headers: dict[str, str], county: str, year: int, schools: list[Any]
) -> dict[str, Any]:
    response = await client.post(
        "/v1/assessments",
        json={"county_code": county, "year": year, "schools": schools},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


class TestTrends:
    async def test_newest_assessment_of_each_year_oldest_first(
        self,
        client: AsyncClient,
        writer: dict[str, str],
        token: TokenFactory,
        county: list[dict[str, Any]],
        fixed: list[dict[str, Any]],
    ) -> None:
        first = await assess(client, writer, "150602", 2024, county)
        await assess(client, writer, "150602", 2025, county)  # superseded the same year
        second = await assess(client, writer, "150602", 2025, fixed)
        await assess(client, writer, "150603", 2025, county)  # another county

        response = await client.get(
            "/v1/counties/150602/trends", headers=auth(token("evaluation:read"))
        )
        assert response.status_code == 200
        body = response.json()
        assert body["county_code"] == "150602"
        assert [
            (y["year"], y["assessment_id"], y["resource_allocation_passed"]) for y in body["years"]
        ] == [(2024, first["id"], False), (2025, second["id"], True)]
        assert [(y["inputs_sha256"], y["catalogue_version"]) for y in body["years"]] == [
            (first["inputs_sha256"], first["catalogue_version"]),
            (second["inputs_sha256"], second["catalogue_version"]),
        ]
        old, new = body["years"]
        assert (
            old["levels"]["primary"]["sections"],
            old["levels"]["primary"]["passing_sections"],
        ) == (3, 2)
        assert new["levels"]["primary"]["passing_sections"] == 3
        area = new["levels"]["primary"]["indicators"]["teaching_area_per_student"]
        assert set(area) == {"county_mean", "cv", "cv_passed"}
        assert area["county_mean"] == pytest.approx(4.695652, abs=1e-6)  # 10800 / 2300
        assert area["cv"] == pytest.approx(0.075223, abs=1e-6)
        assert area["cv_passed"] is True
        teachers = new["levels"]["primary"]["indicators"]["senior_degree_teachers_per_100"]
        assert teachers["county_mean"] == pytest.approx(109 / 2300 * 100, rel=1e-12)
        assert new["levels"]["junior"]["sections"] == 1

        ranged = await client.get(
            "/v1/counties/150602/trends?from_year=2025&to_year=2025",
            headers=auth(token("evaluation:read")),
        )
        assert [y["year"] for y in ranged.json()["years"]] == [2025]

    async def test_a_county_without_assessments_has_no_years(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        response = await client.get(
            "/v1/counties/150602/trends", headers=auth(token("evaluation:read"))
        )
        assert response.status_code == 200
        assert response.json() == {"county_code": "150602", "years": []}

    async def test_a_county_outside_the_jurisdiction_is_403(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        response = await client.get(
            "/v1/counties/150603/trends", headers=auth(token("evaluation:read"))
        )
        assert response.status_code == 403
        assert response.json()["errors"][0]["field"] == "county_code"

    async def test_from_year_after_to_year_is_422(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        response = await client.get(
            "/v1/counties/150602/trends?from_year=2025&to_year=2024",
            headers=auth(token("evaluation:read")),
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "query.from_year"
        assert response.json()["errors"][0]["rule"] == "year_range"


class TestRollup:
    async def test_newest_per_county_of_the_city_by_county_code(
        self,
        client: AsyncClient,
        writer: dict[str, str],
        token: TokenFactory,
        county: list[dict[str, Any]],
        fixed: list[dict[str, Any]],
    ) -> None:
        await assess(client, writer, "150603", 2025, fixed)
        failing = await assess(client, writer, "150603", 2025, county)  # newest wins
        await assess(client, writer, "150602", 2024, county)  # another year
        passing = await assess(client, writer, "150602", 2025, fixed)
        await assess(client, writer, "150702", 2025, fixed)  # another city

        response = await client.get(
            "/v1/rollups?region_code=1506&year=2025",
            headers=auth(token("evaluation:read", jurisdiction=("1506",))),
        )
        assert response.status_code == 200
        body = response.json()
        assert {k: body[k] for k in ("region_code", "year", "counties_assessed")} == {
            "region_code": "1506",
            "year": 2025,
            "counties_assessed": 2,
        }
        assert body["counties_passing"] == 1
        first, second = body["counties"]
        primary_cv = failing["cv"]["primary"]
        worst = max(primary_cv, key=lambda key: primary_cv[key]["value"])
        assert second == {
            "county_code": "150603",
            "assessment_id": failing["id"],
            "resource_allocation_passed": False,
            "failing_schools": 1,
            "failing_cv": [],
            "worst_cv": {
                "primary": {
                    "indicator": worst,
                    "value": primary_cv[worst]["value"],
                    "limit": 0.5,
                },
                "junior": {
                    "indicator": "senior_degree_teachers_per_100",
                    "value": 0.0,
                    "limit": 0.45,
                },
            },
            "inputs_sha256": failing["inputs_sha256"],
            "catalogue_version": failing["catalogue_version"],
        }
        assert (first["county_code"], first["assessment_id"]) == ("150602", passing["id"])
        assert (first["resource_allocation_passed"], first["failing_schools"]) == (True, 0)

        province = await client.get("/v1/rollups?region_code=15&year=2025", headers=writer)
        assert [c["county_code"] for c in province.json()["counties"]] == [
            "150602",
            "150603",
            "150702",
        ]
        empty = await client.get("/v1/rollups?region_code=1506&year=2023", headers=writer)
        assert empty.json()["counties"] == []
        assert empty.json()["counties_assessed"] == 0

    @pytest.mark.parametrize(
        ("jurisdiction", "region"), [(("150602",), "1506"), (("1506",), "15"), (("1507",), "1506")]
    )
    async def test_a_region_the_jurisdiction_does_not_cover_is_403(
        self, client: AsyncClient, token: TokenFactory, jurisdiction: tuple[str, ...], region: str
    ) -> None:
        response = await client.get(
            f"/v1/rollups?region_code={region}&year=2025",
            headers=auth(token("evaluation:read", jurisdiction=jurisdiction)),
        )
        assert response.status_code == 403
        assert response.json()["errors"][0]["field"] == "region_code"

    async def test_a_county_code_as_region_is_that_county(
        self,
        client: AsyncClient,
        writer: dict[str, str],
        token: TokenFactory,
        county: list[dict[str, Any]],
    ) -> None:
        await assess(client, writer, "150602", 2025, county)
        await assess(client, writer, "150603", 2025, county)
        response = await client.get(
            "/v1/rollups?region_code=150602&year=2025", headers=auth(token("evaluation:read"))
        )
        assert [c["county_code"] for c in response.json()["counties"]] == ["150602"]

    @pytest.mark.parametrize("region", ["1", "150", "15060", "1506021", "15a6", ""])
    async def test_a_region_code_not_2_4_or_6_digits_is_422(
        self, client: AsyncClient, token: TokenFactory, region: str
    ) -> None:
        response = await client.get(
            f"/v1/rollups?region_code={region}&year=2025", headers=auth(token("evaluation:read"))
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "query.region_code"

    async def test_the_read_scope_is_required(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        response = await client.get(
            "/v1/rollups?region_code=1506&year=2025", headers=auth(token("evaluation:write"))
        )
        assert response.status_code == 403
        assert response.json()["errors"][0]["rule"] == "scope_required"
