"""学位配置标准 over HTTP: a region or county stores its seats per 1,000 resident population per
level, effective-dated and cited, on SQLite and PostgreSQL (seed 000, seed 002)."""

from typing import Any

import pytest
from httpx import AsyncClient

from junheng_kit.testing.plugin import TokenFactory, auth, problem_errors

REGION = "/v1/seat-standards/15/primary/2024-01-01"
COUNTY = "/v1/seat-standards/150602/primary/2026-03-01"
BODY: dict[str, Any] = {
    "seats_per_1000": "95",
    "source": "内蒙古自治区城镇义务教育学位配置标准（测试）",
    "evidence": "OFF",
}


@pytest.fixture
def region(token: TokenFactory) -> dict[str, str]:
    """The region's education department: Inner Mongolia (15) as its jurisdiction."""
    return auth(token("enrollment:read", "enrollment:write", jurisdiction=("15",)))


class TestPutStandard:
    async def test_the_region_sets_its_standard_and_reads_it_back(
        self, client: AsyncClient, region: dict[str, str]
    ) -> None:
        """Seed 000: "自治区制定城镇义务教育学位配置标准" — the region (scope 15) sets it."""
        response = await client.put(REGION, json=BODY, headers=region)
        assert response.status_code == 201, response.text
        assert response.headers["ETag"] == '"1"'
        body = response.json()
        assert {k: body[k] for k in ("scope_code", "level", "effective_from", "effective_to")} == {
            "scope_code": "15",
            "level": "primary",
            "effective_from": "2024-01-01",
            "effective_to": None,
        }
        assert (body["seats_per_1000"], body["source"], body["version"]) == (
            "95",
            BODY["source"],
            1,
        )
        read = await client.get(REGION, headers=region)
        assert (read.status_code, read.json()) == (200, body)

    async def test_the_same_values_again_change_nothing_and_a_correction_is_a_new_version(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        await client.put(COUNTY, json=BODY, headers=writer)
        again = await client.put(COUNTY, json={**BODY, "seats_per_1000": "95.000"}, headers=writer)
        assert (again.status_code, again.json()["version"]) == (200, 1)
        corrected = await client.put(
            COUNTY,
            json={**BODY, "seats_per_1000": "97.5", "effective_to": "2029-09-01"},
            headers={**writer, "If-Match": '"1"'},
        )
        assert corrected.status_code == 200, corrected.text
        assert (corrected.json()["seats_per_1000"], corrected.json()["version"]) == ("97.5", 2)
        assert corrected.headers["ETag"] == '"2"'

    async def test_a_stale_if_match_is_412(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        await client.put(COUNTY, json=BODY, headers=writer)
        await client.put(COUNTY, json={**BODY, "seats_per_1000": "96"}, headers=writer)
        response = await client.put(
            COUNTY, json={**BODY, "seats_per_1000": "97"}, headers={**writer, "If-Match": '"1"'}
        )
        assert response.status_code == 412
        assert problem_errors(response) == [("header.if-match", "version_current")]

    async def test_a_county_cannot_set_the_regions_standard(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.put(REGION, json=BODY, headers=writer)
        assert response.status_code == 403
        assert problem_errors(response) == [("scope_code", "jurisdiction")]

    @pytest.mark.parametrize(
        ("change", "error"),
        [
            ({"seats_per_1000": "0"}, ("seats_per_1000", "greater_than")),
            ({"seats_per_1000": "-5"}, ("seats_per_1000", "greater_than")),
            ({"seats_per_1000": "1000.5"}, ("seats_per_1000", "less_than_equal")),
            ({"seats_per_1000": "95.1234"}, ("seats_per_1000", "decimal_max_places")),
            ({"source": ""}, ("source", "string_too_short")),
            ({"evidence": "GUESS"}, ("evidence", "literal_error")),
            ({"effective_to": "2026-03-01"}, ("effective_to", "effective_dates_order")),
        ],
    )
    async def test_bad_values_are_422_naming_the_field_and_store_nothing(
        self,
        client: AsyncClient,
        writer: dict[str, str],
        change: dict[str, str],
        error: tuple[str, str],
    ) -> None:
        response = await client.put(COUNTY, json={**BODY, **change}, headers=writer)
        assert response.status_code == 422, response.text
        assert problem_errors(response) == [error]
        assert (await client.get(COUNTY, headers=writer)).status_code == 404

    async def test_a_missing_value_is_422(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.put(COUNTY, json={"source": BODY["source"]}, headers=writer)
        assert response.status_code == 422
        assert problem_errors(response) == [("seats_per_1000", "missing")]

    @pytest.mark.parametrize(
        ("scope", "rule"),
        [
            ("150", "scope_code_format"),
            ("1506021", "scope_code_format"),
            ("99", "scope_code_province"),
        ],
    )
    async def test_a_scope_that_is_no_gbt_2260_prefix_is_422(
        self, client: AsyncClient, writer: dict[str, str], scope: str, rule: str
    ) -> None:
        response = await client.put(
            f"/v1/seat-standards/{scope}/primary/2026-03-01", json=BODY, headers=writer
        )
        assert response.status_code == 422
        assert problem_errors(response) == [("path.scope_code", rule)]


class TestReadStandards:
    async def test_a_county_lists_its_regions_and_its_own_with_the_one_in_force(
        self, client: AsyncClient, region: dict[str, str], writer: dict[str, str]
    ) -> None:
        await client.put(REGION, json=BODY, headers=region)
        await client.put(
            "/v1/seat-standards/15/junior/2024-01-01",
            json={**BODY, "seats_per_1000": "45"},
            headers=region,
        )
        await client.put(COUNTY, json={**BODY, "seats_per_1000": "100"}, headers=writer)
        listed = await client.get(
            "/v1/seat-standards", params={"county_code": "150602", "year": 2026}, headers=writer
        )
        assert listed.status_code == 200, listed.text
        body = listed.json()
        assert [(s["scope_code"], s["level"], s["seats_per_1000"]) for s in body["items"]] == [
            ("15", "junior", "45"),
            ("15", "primary", "95"),
            ("150602", "primary", "100"),
        ]
        # on 2026-09-01 the county's own primary standard is the most specific in force
        assert [(s["scope_code"], s["level"]) for s in body["in_force"]] == [
            ("150602", "primary"),
            ("15", "junior"),
        ]
        before = await client.get(
            "/v1/seat-standards",
            params={"county_code": "150602", "year": 2025, "level": "primary"},
            headers=writer,
        )
        assert [s["scope_code"] for s in before.json()["in_force"]] == ["15"]

    async def test_another_county_sees_the_region_but_not_dongshengs_own(
        self,
        client: AsyncClient,
        region: dict[str, str],
        writer: dict[str, str],
        token: TokenFactory,
    ) -> None:
        await client.put(REGION, json=BODY, headers=region)
        await client.put(COUNTY, json=BODY, headers=writer)
        kangbashi = auth(token("enrollment:read", jurisdiction=("150603",)))
        assert (await client.get(COUNTY, headers=kangbashi)).status_code == 404
        assert (await client.get(REGION, headers=kangbashi)).status_code == 200
        own = await client.get(
            "/v1/seat-standards", params={"county_code": "150603"}, headers=kangbashi
        )
        assert [s["scope_code"] for s in own.json()["items"]] == ["15"]
        other = await client.get(
            "/v1/seat-standards", params={"county_code": "150602"}, headers=kangbashi
        )
        assert other.status_code == 403
        assert problem_errors(other) == [("county_code", "jurisdiction")]

    async def test_an_unknown_standard_is_404(
        self, client: AsyncClient, reader: dict[str, str]
    ) -> None:
        assert (await client.get(COUNTY, headers=reader)).status_code == 404
