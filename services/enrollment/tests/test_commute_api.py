"""路途时间 over HTTP: a county's travel model, and the 统筹 proposal's travel time against the
commute limit (seed 000: "原则上小学上3年级学生不寄宿,就近走读上学,路途时间一般不超过半小时")."""

from typing import Any

import pytest
from httpx import AsyncClient

from junheng_kit.testing.plugin import TokenFactory, auth

from .admission.test_stored_run_api import RUN, B, C, ok, policy, setup_county, three_families

__all__ = ["policy"]  # the fixture, used by name

NEAR, FAR = "2115000007", "2115000008"
# due north of the families' homes (109.98E 39.81N): Δφ = km / 6371.0088 rad
NEAR_AT = {"longitude": 109.98, "latitude": 39.85496601818623}  # 5 km
FAR_AT = {"longitude": 109.98, "latitude": 39.91791844364695}  # 12 km
BUS = {
    "mode": "school_bus",
    "speed_kmh": "30",
    "detour_factor": "1.3",
    "effective_from": "2025-01-01",
    "source": "东胜区教育局校车线路测速（测试）",
}


async def county_with_one_unplaced_family(
    client: AsyncClient,
    writer: dict[str, str],
    policy: dict[str, Any],
    extra: list[tuple[str, dict[str, float]]],
) -> tuple[dict[str, Any], str]:
    """B and C (at the homes) take the owner and the renter; the migrant is left to 统筹."""
    await setup_county(client, writer, policy)
    for code, location in extra:
        await ok(
            await client.post(
                "/v1/schools",
                json={
                    "school_code": code,
                    "name": f"统筹学校{code[-1]}",
                    "levels": ["primary"],
                    "county_code": "150602",
                    "location": location,
                    "planned_capacity": 500,
                },
                headers=writer,
            ),
            201,
        )
    owner, renter, migrant = await three_families(client, writer)
    for code in (B, C, *(code for code, _ in extra)):
        await ok(
            await client.put(
                f"/v1/schools/{code}/seats/2025",
                json={"level": "primary", "planned_classes": 1, "class_cap": 1},
                headers=writer,
            ),
            201,
        )
    run = await ok(await client.post("/v1/assignment-runs", json=RUN, headers=writer), 201)
    assert run["assignments"] == {owner: C, renter: B, migrant: None}
    return run, migrant


async def test_an_offer_12_km_away_is_flagged_over_half_an_hour_once_the_county_sets_a_model(
    client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]
) -> None:
    """Seed 000 (scope 15, primary grades 1–3): "路途时间一般不超过半小时". The only school with a
    seat is 12 km away: by school bus at 30 km/h with a detour factor of 1.3 that is
    12 × 1.3 ÷ 30 × 60 = 31.2 minutes — over the limit, flagged; the offer stands. B and C, at
    the family's home, were within the limit but full."""
    run, migrant = await county_with_one_unplaced_family(client, writer, policy, [(FAR, FAR_AT)])
    overflow = f"/v1/assignment-runs/{run['id']}/overflow"

    before = await ok(await client.get(overflow, headers=writer))
    [offer] = before["offers"]
    assert (offer["school_code"], offer["travel_minutes"], offer["flags"]) == (FAR, None, [])
    commute = before["commute"]
    assert (commute["status"], commute["on"], commute["model"], commute["over_limit"]) == (
        "model_not_set",
        "2025-09-01",
        None,
        0,
    )
    limit = commute["limit"]
    assert (limit["scope_code"], limit["level"], limit["grades"], limit["max_minutes"]) == (
        "15",
        "primary",
        [1, 2, 3],
        "30",
    )
    assert "seed 000" in limit["source"]

    model = await ok(
        await client.post("/v1/counties/150602/commute-models", json=BUS, headers=writer), 201
    )
    assert (model["mode"], model["speed_kmh"], model["detour_factor"]) == (
        "school_bus",
        "30",
        "1.3",
    )

    after = await ok(await client.get(overflow, headers=writer))
    [offer] = after["offers"]
    assert offer["application_id"] == migrant
    assert offer["school_code"] == FAR  # the offer is the proposal's, unchanged
    assert offer["distance_km"] == pytest.approx(12.0, abs=1e-6)
    assert offer["travel_minutes"] == 31.2
    assert offer["flags"] == ["over_commute_limit"]
    assert offer["full_within_limit"] == [B, C]
    assert (after["commute"]["status"], after["commute"]["over_limit"]) == ("checked", 1)
    assert after["commute"]["model"]["id"] == model["id"]

    # the flag is a finding: the bureau confirms the offer as before
    confirmed = await ok(
        await client.post(f"/v1/assignment-runs/{run['id']}/admissions", json={}, headers=writer),
        201,
    )
    assert confirmed["by_school"] == {B: 1, C: 1, FAR: 1}


async def test_an_offer_5_km_away_is_within_half_an_hour(
    client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]
) -> None:
    """5 × 1.3 ÷ 30 × 60 = 13 minutes: within 不超过半小时, no flag. The nearer school is also
    the quicker one, so FAR (31.2 min) is not offered while NEAR has a seat."""
    run, _ = await county_with_one_unplaced_family(
        client, writer, policy, [(NEAR, NEAR_AT), (FAR, FAR_AT)]
    )
    await ok(await client.post("/v1/counties/150602/commute-models", json=BUS, headers=writer), 201)
    proposal = await ok(
        await client.get(f"/v1/assignment-runs/{run['id']}/overflow", headers=writer)
    )
    [offer] = proposal["offers"]
    assert (offer["school_code"], offer["travel_minutes"], offer["flags"]) == (NEAR, 13.0, [])
    assert (proposal["commute"]["status"], proposal["commute"]["over_limit"]) == ("checked", 0)


async def test_a_model_taking_effect_after_the_school_year_starts_is_not_used(
    client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]
) -> None:
    run, _ = await county_with_one_unplaced_family(client, writer, policy, [(FAR, FAR_AT)])
    late = {**BUS, "effective_from": "2025-09-02"}
    await ok(
        await client.post("/v1/counties/150602/commute-models", json=late, headers=writer), 201
    )
    proposal = await ok(
        await client.get(f"/v1/assignment-runs/{run['id']}/overflow", headers=writer)
    )
    assert proposal["commute"]["status"] == "model_not_set"
    assert proposal["offers"][0]["travel_minutes"] is None


class TestCommuteModels:
    async def test_models_are_listed_as_set(
        self, client: AsyncClient, writer: dict[str, str], reader: dict[str, str]
    ) -> None:
        walking = {**BUS, "mode": "walking", "speed_kmh": "4.5", "detour_factor": "1.25"}
        for body in (BUS, walking):
            await ok(
                await client.post("/v1/counties/150602/commute-models", json=body, headers=writer),
                201,
            )
        listed = await ok(await client.get("/v1/counties/150602/commute-models", headers=reader))
        assert [(m["mode"], m["speed_kmh"], m["detour_factor"]) for m in listed["items"]] == [
            ("school_bus", "30", "1.3"),
            ("walking", "4.5", "1.25"),
        ]

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"detour_factor": "0.9"}, "detour_factor"),
            ({"speed_kmh": "0"}, "speed_kmh"),
            ({"mode": "bicycle"}, "mode"),
            ({"speed_kmh": None}, "speed_kmh"),
            ({"effective_to": "2024-12-31"}, "body"),
        ],
    )
    async def test_a_bad_model_is_refused_naming_the_field(
        self, client: AsyncClient, writer: dict[str, str], change: dict[str, Any], field: str
    ) -> None:
        response = await client.post(
            "/v1/counties/150602/commute-models", json={**BUS, **change}, headers=writer
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field

    async def test_another_countys_model_is_forbidden(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        headers = auth(token("enrollment:read", "enrollment:write", jurisdiction=("150602",)))
        response = await client.post(
            "/v1/counties/150603/commute-models", json=BUS, headers=headers
        )
        assert response.status_code == 403
        assert response.json()["errors"][0]["field"] == "county_code"
