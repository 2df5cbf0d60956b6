"""学区调整周期: zone maps older than the county's re-zoning interval are flagged.

Seed 001 (通榆县人民政府办公室, 2018-09-03):
"结合县城学校布局调整的实际,每三年对学区进行重新划分和调整" — in 通榆县 (220822) the zones are
re-drawn every three years; no national interval exists, so another county's maps carry no flag.
"""

from datetime import date
from types import SimpleNamespace
from typing import Any

from httpx import AsyncClient

from enrollment.zoning.rezoning import add_years, policy_in_force, status, zones_since
from junheng_kit.testing.plugin import TokenFactory, auth


class TestRules:
    def test_tongyu_has_three_years_from_the_notice_and_dongsheng_none(self) -> None:
        tongyu = policy_in_force("220822", date(2025, 1, 1))

        assert tongyu is not None
        assert tongyu.interval_years == 3
        assert policy_in_force("220822", date(2018, 9, 2)) is None  # before the notice
        assert policy_in_force("150602", date(2025, 1, 1)) is None

    def test_the_zones_date_from_the_oldest_unbroken_run_of_the_same_zones(self) -> None:
        """Newest first: 2024 (hash b), 2023 (b), 2022 (a), 2021 (b) → since 2023-06-01; the
        2021 map had the same zones, but 2022 re-drew them in between."""
        history = [
            (date(2024, 6, 1), "b"),
            (date(2023, 6, 1), "b"),
            (date(2022, 6, 1), "a"),
            (date(2021, 6, 1), "b"),
        ]

        assert zones_since(history, "b") == date(2023, 6, 1)

    def test_due_on_the_day_the_interval_ends(self) -> None:
        """Zones since 2022-03-01, every 3 years → due on 2025-03-01, not the day before."""
        policy = policy_in_force("220822", date(2025, 1, 1))
        assert policy is not None

        assert status(policy, date(2022, 3, 1), date(2025, 2, 28)).due is False
        after = status(policy, date(2022, 3, 1), date(2025, 3, 1))
        assert (after.due_on, after.due) == (date(2025, 3, 1), True)
        assert add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)


def tongyu_map(geo: SimpleNamespace, year: int, effective_from: str, x1: float) -> dict[str, Any]:
    zone = geo.feature("T01", geo.box(123.0, 44.7, x1, 44.9), geo.TONGYU_PRIMARY)
    return geo.zone_map(zone, county_code="220822", year=year, effective_from=effective_from)


class TestZoneMapAnswer:
    async def test_the_same_zones_again_are_no_rezoning_and_come_due(
        self, client: AsyncClient, schools: None, token: TokenFactory, geo: SimpleNamespace
    ) -> None:
        tongyu = auth(token("enrollment:read", "enrollment:write", jurisdiction=("220822",)))
        first = tongyu_map(geo, 2021, "2021-06-01", 123.2)
        assert (await client.post("/v1/zone-maps", json=first, headers=tongyu)).status_code == 201

        response = await client.post(
            "/v1/zone-maps", json=tongyu_map(geo, 2022, "2022-06-01", 123.2), headers=tongyu
        )

        assert response.status_code == 201, response.json()
        rezoning = response.json()["rezoning"]
        assert rezoning["interval_years"] == 3
        assert (rezoning["zones_since"], rezoning["due_on"], rezoning["due"]) == (
            "2021-06-01",
            "2024-06-01",
            True,
        )
        assert "seed 001" in rezoning["source"]

    async def test_redrawn_zones_start_the_interval_again(
        self, client: AsyncClient, schools: None, token: TokenFactory, geo: SimpleNamespace
    ) -> None:
        tongyu = auth(token("enrollment:read", "enrollment:write", jurisdiction=("220822",)))
        first = tongyu_map(geo, 2021, "2021-06-01", 123.2)
        assert (await client.post("/v1/zone-maps", json=first, headers=tongyu)).status_code == 201
        created = await client.post(
            "/v1/zone-maps", json=tongyu_map(geo, 2090, "2090-06-01", 123.3), headers=tongyu
        )

        read = await client.get(f"/v1/zone-maps/{created.json()['id']}", headers=tongyu)

        rezoning = read.json()["rezoning"]
        assert (rezoning["zones_since"], rezoning["due_on"], rezoning["due"]) == (
            "2090-06-01",
            "2093-06-01",
            False,
        )

    async def test_a_county_without_an_interval_has_no_flag(
        self, first_map: dict[str, Any]
    ) -> None:
        assert first_map["rezoning"] is None
