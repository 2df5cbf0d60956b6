"""学位预警 beside the 学位配置标准: per zone and year, the seats the standard asks for the zone's
resident population against the zone's seats of the level, with hand-computed numbers, on SQLite
and PostgreSQL (seed 000, seed 002; domain.md §2.5)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from junheng_kit.testing.plugin import TokenFactory, auth

COHORTS = "/v1/zones/cohorts/150602/2026"
RESIDENTS = "/v1/zones/resident-population/150602/2026"
COUNT_ROWS: list[dict[str, Any]] = [
    {"zone_code": "P01", "birth_year": 2020, "children": 108},
    {"zone_code": "P01", "birth_year": 2021, "children": 120},
    {"zone_code": "P01", "birth_year": 2022, "children": 60},
    {"zone_code": "J01", "grade": 6, "children": 410},
]
SOURCE = "内蒙古自治区城镇义务教育学位配置标准（测试）"


@pytest.fixture
def region(token: TokenFactory) -> dict[str, str]:
    return auth(token("enrollment:read", "enrollment:write", jurisdiction=("15",)))


async def plan(
    client: AsyncClient, headers: dict[str, str], school: str, year: int, level: str, classes: int
) -> None:
    response = await client.put(
        f"/v1/schools/{school}/seats/{year}",
        json={"level": level, "planned_classes": classes},
        headers=headers,
    )
    assert response.status_code == 201, response.text


async def set_standard(
    client: AsyncClient, headers: dict[str, str], path: str, per_1000: str
) -> None:
    body = {"seats_per_1000": per_1000, "source": SOURCE}
    response = await client.put(f"/v1/seat-standards/{path}", json=body, headers=headers)
    assert response.status_code == 201, response.text


async def forecast(client: AsyncClient, headers: dict[str, str], **params: Any) -> Any:
    query = {"county_code": "150602", "from_year": 2026, **params}
    response = await client.get("/v1/seat-forecast", params=query, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


STANDARD_KEYS = (
    "year",
    "seats",
    "resident_population",
    "standard_seats",
    "level_seats",
    "level_seats_complete",
    "standard_gap",
    "standard_missing",
)


def standard_of(body: dict[str, Any], zone_code: str) -> list[dict[str, Any]]:
    zone = next(z for z in body["zones"] if z["zone_code"] == zone_code)
    return [{k: year[k] for k in STANDARD_KEYS} for year in zone["years"]]


@pytest.fixture
async def primary_2026(client: AsyncClient, zones_2026: None, writer: dict[str, str]) -> None:
    """Cohorts; school 1 (P01) plans 6 classes (270 seats) in 2022 and in 2027 — 2023 … 2026
    keep 2022's plan —; schools 2 and 3 (P02, 多校) plan 1 class each in 2027 only."""
    assert (await client.put(COHORTS, json={"rows": COUNT_ROWS}, headers=writer)).is_success
    await plan(client, writer, "2115060001", 2022, "primary", 6)
    await plan(client, writer, "2115060001", 2027, "primary", 6)
    await plan(client, writer, "2115060002", 2027, "primary", 1)
    await plan(client, writer, "2115060003", 2027, "primary", 1)


class TestStandardSeats:
    async def test_the_standard_against_the_zones_seats_in_all_six_grades(
        self,
        client: AsyncClient,
        primary_2026: None,
        writer: dict[str, str],
        region: dict[str, str],
    ) -> None:
        """Seed 000: "自治区制定城镇义务教育学位配置标准" (the region sets it, scope 15); seed 002:
        "出台以常住人口为基数的城镇义务教育学位配置标准" (resident population as the base). The
        county's own standard from 2028 is more specific than the region's."""
        rows = [{"zone_code": "P01", "level": "primary", "residents": 23400}]
        assert (await client.put(RESIDENTS, json={"rows": rows}, headers=writer)).is_success
        await set_standard(client, region, "15/primary/2024-01-01", "95")
        await set_standard(client, writer, "150602/primary/2028-01-01", "100")
        body = await forecast(client, writer, level="primary", horizon=2)
        # 2027: 23,400 × 95 ÷ 1,000 = 2,223. P01's primary seats in all grades are the entry
        # seats of the cohorts that entered 2022 … 2027: 6 × 270 = 1,620 → gap 603.
        # 2028: the county's 100 → 2,340; entry years 2023 … 2028 (2028 keeps 2027's plan):
        # 6 × 270 = 1,620 → gap 720. The population of the base year is held flat.
        assert standard_of(body, "P01") == [
            {"year": 2027, "seats": 270, "resident_population": 23400, "standard_seats": 2223,
             "level_seats": 1620, "level_seats_complete": True, "standard_gap": 603,
             "standard_missing": []},
            {"year": 2028, "seats": 270, "resident_population": 23400, "standard_seats": 2340,
             "level_seats": 1620, "level_seats_complete": True, "standard_gap": 720,
             "standard_missing": []},
        ]  # fmt: skip
        # P02 has no resident count: no standard seats, and the reason; its schools planned only
        # 2027, so its seats in all grades are 45 + 45 = 90 and marked incomplete
        assert standard_of(body, "P02")[0] == {
            "year": 2027, "seats": 90, "resident_population": None, "standard_seats": None,
            "level_seats": 90, "level_seats_complete": False, "standard_gap": None,
            "standard_missing": ["resident_population"],
        }  # fmt: skip
        assert [
            (s["year"], s["standard"]["scope_code"], s["standard"]["seats_per_1000"])
            for s in body["seat_standards"]
        ] == [(2027, "15", "95"), (2028, "150602", "100")]
        assert body["seat_standards"][0]["standard"]["source"] == SOURCE
        assert {k: body["resident_population"][k] for k in ("year", "zones")} == {
            "year": 2026,
            "zones": 1,
        }
        # the demand side is unchanged: 2027 entrants 4/12 × 108 + 8/12 × 120 = 36 + 80 = 116
        assert body["zones"][0]["years"][0]["demand"] == 116

    async def test_without_a_standard_or_population_there_are_no_standard_seats(
        self, client: AsyncClient, primary_2026: None, writer: dict[str, str]
    ) -> None:
        """No source gives a value (domain.md §2.5), so none is assumed."""
        body = await forecast(client, writer, level="primary", horizon=1)
        assert body["resident_population"] is None
        assert body["seat_standards"] == [{"year": 2027, "standard": None}]
        assert standard_of(body, "P01")[0] == {
            "year": 2027, "seats": 270, "resident_population": None, "standard_seats": None,
            "level_seats": 1620, "level_seats_complete": True, "standard_gap": None,
            "standard_missing": ["resident_population", "seat_standard"],
        }  # fmt: skip

    async def test_a_primary_standard_leaves_junior_zones_without_one(
        self,
        client: AsyncClient,
        primary_2026: None,
        writer: dict[str, str],
        region: dict[str, str],
    ) -> None:
        rows = [{"zone_code": "J01", "level": "junior", "residents": 41400}]
        await client.put(RESIDENTS, json={"rows": rows}, headers=writer)
        await set_standard(client, region, "15/primary/2024-01-01", "95")
        await plan(client, writer, "3115060001", 2025, "junior", 8)  # 400 seats a year
        body = await forecast(client, writer, level="junior", horizon=1)
        # junior grades 7–9 in 2027: entry years 2025 … 2027, each keeping 2025's 400 seats
        assert standard_of(body, "J01") == [
            {"year": 2027, "seats": 400, "resident_population": 41400, "standard_seats": None,
             "level_seats": 1200, "level_seats_complete": True, "standard_gap": None,
             "standard_missing": ["seat_standard"]},
        ]  # fmt: skip
        await set_standard(client, region, "15/junior/2024-01-01", "45")
        body = await forecast(client, writer, level="junior", horizon=1)
        # 41,400 × 45 ÷ 1,000 = 1,863 against 1,200 → 663 seats short of the standard
        assert standard_of(body, "J01")[0]["standard_seats"] == 1863
        assert standard_of(body, "J01")[0]["standard_gap"] == 663


@contextmanager
def statements(connection: AsyncConnection) -> Iterator[list[str]]:
    """Every SQL statement sent on the test's connection while the block runs."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(connection.sync_connection, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", record)


class TestSetBased:
    async def test_the_statements_do_not_grow_with_the_horizon(
        self,
        client: AsyncClient,
        session: AsyncSession,
        primary_2026: None,
        writer: dict[str, str],
        region: dict[str, str],
    ) -> None:
        connection = session.bind  # the test's connection: every request's session joins it
        assert isinstance(connection, AsyncConnection)
        rows = [
            {"zone_code": "P01", "level": "primary", "residents": 23400},
            {"zone_code": "P02", "level": "primary", "residents": 18000},
        ]
        await client.put(RESIDENTS, json={"rows": rows}, headers=writer)
        await set_standard(client, region, "15/primary/2024-01-01", "95")
        await forecast(client, writer, level="primary", horizon=1)  # the zone index is cached
        with statements(connection) as one_year:
            await forecast(client, writer, level="primary", horizon=1)
        with statements(connection) as six_years:
            await forecast(client, writer, level="primary", horizon=6)
        assert len(six_years) == len(one_year)
        assert sum("resident_population" in s for s in six_years) == 2  # rows, import record
        assert sum("seat_standard" in s for s in six_years) == 1
