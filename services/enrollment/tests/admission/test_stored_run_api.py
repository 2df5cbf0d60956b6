"""电脑派位 from stored applications: verified applications + seat plans + the policy in force
→ an instance in the public shape, assigned, stored and replayable byte for byte."""

import copy
import json
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.tables import OutboxMessage

B, C = "2115000002", "3115000003"
IN_Z2 = {"longitude": 109.98, "latitude": 39.81}
ZONES = {
    "county_code": "150602",
    "level": "primary",
    "year": 2025,
    "effective_from": "2025-01-01",
    "zones": {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"zone_code": "Z2", "name": "二小片区", "school_codes": [B, C]},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [109.97, 39.80],
                            [109.99, 39.80],
                            [109.99, 39.82],
                            [109.97, 39.82],
                            [109.97, 39.80],
                        ]
                    ],
                },
            }
        ],
    },
}
RUN = {
    "county_code": "150602",
    "year": 2025,
    "level": "primary",
    "seed": "2025-东胜区-公证处-0731",
    "mechanism": "deferred_acceptance",
    "tie_breaking": "single",
}


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
async def policy(client: AsyncClient) -> dict[str, Any]:
    from enrollment.admission.schemas import PriorityPolicyPut

    return copy.deepcopy(PriorityPolicyPut.model_config["json_schema_extra"]["examples"][0])  # type: ignore[index]


async def setup_county(client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]) -> None:
    for code, levels in ((B, ["primary"]), (C, ["nine_year"])):
        await ok(
            await client.post(
                "/v1/schools",
                json={
                    "school_code": code,
                    "name": f"测试学校{code[-1]}",
                    "levels": levels,
                    "county_code": "150602",
                    "location": {"longitude": 109.98, "latitude": 39.81},
                    "planned_capacity": 1000,
                },
                headers=writer,
            ),
            201,
        )
    await ok(await client.post("/v1/zone-maps", json=ZONES, headers=writer), 201)
    await ok(
        await client.put("/v1/priority-policies/150602/2025/primary", json=policy, headers=writer),
        201,
    )


async def apply_and_verify(
    client: AsyncClient,
    writer: dict[str, str],
    body17: str,
    household: dict[str, Any],
    student_number: str | None = None,
) -> str:
    citizen_id = body17 + citizen_id_check_character(body17)
    birth = f"{body17[6:10]}-{body17[10:12]}-{body17[12:14]}"
    child = {"citizen_id": citizen_id, "name": "孩子", "birth_date": birth}
    if student_number is not None:
        child["student_number"] = student_number
    created = await ok(
        await client.post(
            "/v1/applications",
            json={
                "county_code": "150602",
                "year": 2025,
                "grade": 1,
                "child": child,
                "guardian": {"name": "家长", "relation": "mother", "phone": "13900000000"},
                "household": household,
                "home": {**IN_Z2, "address": "东胜区某路"},
                "choices": [C, B],
            },
            headers=writer,
        ),
        201,
    )
    app_id = created["id"]
    await ok(
        await client.post(
            f"/v1/applications/{app_id}/transitions", json={"to": "verifying"}, headers=writer
        )
    )
    for item in created["checklist"]:
        await ok(
            await client.put(
                f"/v1/applications/{app_id}/verifications/{item['document']}",
                json={"result": "confirmed", "source": "窗口核验"},
                headers=writer,
            )
        )
    await ok(
        await client.post(
            f"/v1/applications/{app_id}/transitions", json={"to": "verified"}, headers=writer
        )
    )
    return app_id  # type: ignore[no-any-return]


async def three_families(client: AsyncClient, writer: dict[str, str]) -> tuple[str, str, str]:
    hukou_here = {
        "county_code": "150602",
        "type": "urban",
        "address": "二小片区",
        "location": IN_Z2,
    }
    owner = await apply_and_verify(
        client, writer, "15060220190101001", {"hukou": hukou_here, "housing": "owned"}
    )
    renter = await apply_and_verify(
        client, writer, "15060220190202002", {"hukou": hukou_here, "housing": "rented"}
    )
    migrant = await apply_and_verify(
        client,
        writer,
        "15020320190303003",
        {
            "hukou": {"county_code": "150203", "type": "rural", "address": "昆都仑区"},
            "housing": "rented",
            "residence_permit": {"issued_on": "2023-01-01"},
            "social_insurance_months": 30,
        },
    )
    return owner, renter, migrant


async def test_run_from_verified_applications_is_replayable(
    client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]
) -> None:
    await setup_county(client, writer, policy)
    owner, renter, migrant = await three_families(client, writer)
    hukou_here = {
        "county_code": "150602",
        "type": "urban",
        "address": "二小片区",
        "location": IN_Z2,
    }
    # a submitted (unverified) application is not in the run
    await ok(
        await client.post(
            "/v1/applications",
            json={
                "county_code": "150602",
                "year": 2025,
                "grade": 1,
                "child": {
                    "citizen_id": "15060220190404004"
                    + citizen_id_check_character("15060220190404004"),
                    "name": "孩子",
                    "birth_date": "2019-04-04",
                },
                "guardian": {"name": "家长", "relation": "mother", "phone": "13900000000"},
                "household": {"hukou": hukou_here, "housing": "owned"},
                "home": {**IN_Z2, "address": "东胜区某路"},
                "choices": [C, B],
            },
            headers=writer,
        ),
        201,
    )

    # no seat plans yet: the run names the schools that lack one
    missing = await client.post("/v1/assignment-runs", json=RUN, headers=writer)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["rule"] == "seat_plan_published"
    assert B in missing.json()["errors"][0]["message"]

    for code in (B, C):
        await ok(
            await client.put(
                f"/v1/schools/{code}/seats/2025",
                json={"level": "primary", "planned_classes": 1, "class_cap": 1},
                headers=writer,
            ),
            201,
        )
    run = await ok(await client.post("/v1/assignment-runs", json=RUN, headers=writer), 201)
    # tiers: owner 1 (户籍+房产 in zone), renter 2 (户籍 in zone), migrant 4; one seat each
    assert run["assignments"] == {owner: C, renter: B, migrant: None}
    assert [e["reason"] for e in run["explanations"][migrant]] == [
        "tier_below_cutoff",
        "tier_below_cutoff",
    ]

    provenance = await ok(
        await client.get(f"/v1/assignment-runs/{run['id']}/provenance", headers=writer)
    )
    assert provenance["source"] == "applications"
    assert provenance["policy_version"] == 1
    assert provenance["input_sha256"] == run["input_sha256"]

    instance_response = await client.get(
        f"/v1/assignment-runs/{run['id']}/instance", headers=writer
    )
    instance = instance_response.json()
    assert sorted(a["application_id"] for a in instance["applicants"]) == sorted(
        [owner, renter, migrant]
    )
    assert {a["application_id"]: a["priorities"] for a in instance["applicants"]}[migrant] == {
        C: 4,
        B: 4,
    }
    replay = await client.post("/v1/assignment-runs", json=instance, headers=writer)
    assert replay.status_code == 201
    first, second = (
        json.loads((await client.get(f"/v1/assignment-runs/{run['id']}", headers=writer)).text),
        replay.json(),
    )
    first.pop("id")
    second.pop("id")
    assert first == second


async def test_a_run_without_a_policy_in_force_is_refused(
    client: AsyncClient, writer: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/assignment-runs", json={**RUN, "policy_on": "2020-01-01"}, headers=writer
    )
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "policy_on",
        "rule": "policy_published",
        "message": "2020-01-01 没有生效的 150602 2025 年 primary 招生规则",
    }


async def test_reference_form_fields_are_named_without_the_form_tag(
    client: AsyncClient, writer: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/assignment-runs", json={**RUN, "level": "senior"}, headers=writer
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "level"


D, E = "2115000005", "2115000006"


async def test_unplaced_family_is_offered_the_nearest_school_and_admissions_are_confirmed(
    client: AsyncClient, session: AsyncSession, writer: dict[str, str], policy: dict[str, Any]
) -> None:
    await setup_county(client, writer, policy)
    # two schools outside the zone with seats: D about 2.4 km from the families, E about 22 km
    for code, lon, lat in ((D, 109.99, 39.83), (E, 110.20, 39.90)):
        await ok(
            await client.post(
                "/v1/schools",
                json={
                    "school_code": code,
                    "name": f"统筹学校{code[-1]}",
                    "levels": ["primary"],
                    "county_code": "150602",
                    "location": {"longitude": lon, "latitude": lat},
                    "planned_capacity": 500,
                },
                headers=writer,
            ),
            201,
        )
    owner, renter, migrant = await three_families(client, writer)
    for code, seats in ((B, 1), (C, 1), (D, 1), (E, 2)):
        await ok(
            await client.put(
                f"/v1/schools/{code}/seats/2025",
                json={"level": "primary", "planned_classes": 1, "class_cap": seats},
                headers=writer,
            ),
            201,
        )
    run = await ok(await client.post("/v1/assignment-runs", json=RUN, headers=writer), 201)
    assert run["assignments"] == {owner: C, renter: B, migrant: None}

    proposal = await ok(
        await client.get(f"/v1/assignment-runs/{run['id']}/overflow", headers=writer)
    )
    assert proposal["placed_by_run"] == 2
    assert proposal["remaining_seats"] == {B: 0, C: 0, D: 1, E: 2}
    [offer] = proposal["offers"]
    assert offer["application_id"] == migrant
    assert offer["school_code"] == D
    # haversine by hand: Δφ 0.02° → 2.224 km, Δλ 0.01° × cos 39.82° → 0.854 km; √ → 2.382 km
    assert offer["distance_km"] == pytest.approx(2.382, abs=0.005)

    wrong = await client.post(
        f"/v1/assignment-runs/{run['id']}/admissions",
        json={"overrides": {owner: E}},
        headers=writer,
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["rule"] == "override_unplaced"
    full = await client.post(
        f"/v1/assignment-runs/{run['id']}/admissions",
        json={"overrides": {migrant: B}},
        headers=writer,
    )
    assert full.status_code == 422
    assert full.json()["errors"][0]["rule"] == "seat_available"

    # the bureau places the family at E instead of the proposed D
    confirmed = await ok(
        await client.post(
            f"/v1/assignment-runs/{run['id']}/admissions",
            json={"overrides": {migrant: E}},
            headers=writer,
        ),
        201,
    )
    assert confirmed["admitted"] == 3
    assert confirmed["by_route"] == {"assignment": 2, "overflow": 1}
    assert confirmed["by_school"] == {B: 1, C: 1, E: 1}
    assert confirmed["still_unplaced"] == []
    events = list(
        await session.scalars(
            select(OutboxMessage).where(OutboxMessage.subject == "enrollment.admission.confirmed")
        )
    )
    assert len(events) == 3
    assert all("150203201903030" not in str(e.payload) for e in events)

    again = await client.post(
        f"/v1/assignment-runs/{run['id']}/admissions", json={}, headers=writer
    )
    assert again.status_code == 409
    assert again.json()["errors"][0]["rule"] == "admissions_confirmed_once"
