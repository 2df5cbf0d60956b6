"""县域民办义务教育在校生占比 over HTTP (issue 19; seed 000): admissions confirmed through the
real 电脑派位 flow, counted by their school's 办学性质, against the cap the county sets."""

from typing import Any

from httpx import AsyncClient

from .admission.test_stored_run_api import RUN, B, C, ok, policy, setup_county, three_families

__all__ = ["policy"]  # the fixture, used by name

SHARE = "/v1/counties/150602/private-share"
CAPS = "/v1/counties/150602/private-share-caps"


async def confirm_two_admissions(client: AsyncClient, writer: dict[str, str]) -> None:
    """B (primary) and C (nine-year) with one seat each; three families choose C then B: the
    run places two, the migrant family stays unplaced; both placements are confirmed."""
    await three_families(client, writer)
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
    confirmed = await ok(
        await client.post(f"/v1/assignment-runs/{run['id']}/admissions", json={}, headers=writer),
        201,
    )
    assert confirmed["by_school"] == {B: 1, C: 1}


async def set_ownership(
    client: AsyncClient, writer: dict[str, str], owners: dict[str, str | None]
) -> None:
    for code, ownership in owners.items():
        await ok(
            await client.patch(f"/v1/schools/{code}", json={"ownership": ownership}, headers=writer)
        )


class TestPrivateShare:
    async def test_the_share_is_counted_from_confirmed_admissions_and_no_cap_is_said(
        self, client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]
    ) -> None:
        await setup_county(client, writer, policy)
        await confirm_two_admissions(client, writer)
        await set_ownership(client, writer, {B: "公办", C: "民办"})

        body = await ok(await client.get(SHARE, params={"year": 2025}, headers=writer))

        # one of the two admitted pupils is at 民办 C: 1/2
        assert body["pupils"] == {"public": 1, "private": 1, "unrecorded": 0, "total": 2}
        assert body["by_level"]["primary"]["total"] == 2
        assert body["by_level"]["junior"]["total"] == 0
        assert (body["private_share"], body["private_share_max"]) == ("0.5000", "0.5000")
        assert (body["cap"], body["cap_status"]) == (None, "no_cap")
        assert (
            body["note"]
            == "本县未设定民办在校生占比上限 / the county has set no cap on the private share"
        )
        assert "not the 在校生 of every grade" in body["basis"]

    async def test_a_share_at_the_cap_is_within_and_above_it_over(
        self, client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]
    ) -> None:
        """Seed 000: 严格控制县域内民办义务教育在校生占比 — the county's cap, 不超过 (≤): a share of
        1/2 keeps a cap of 0.5 and breaks a later cap of 0.4999."""
        await setup_county(client, writer, policy)
        await confirm_two_admissions(client, writer)
        await set_ownership(client, writer, {B: "public", C: "private"})
        half = {"cap": "0.5", "effective_from": "2024-01-01", "source": "东胜区教育局〔2024〕1号"}
        set_cap = await ok(await client.post(CAPS, json=half, headers=writer), 201)
        assert (set_cap["cap"], set_cap["county_code"]) == ("0.5", "150602")

        within = await ok(await client.get(SHARE, params={"year": 2025}, headers=writer))
        assert (within["cap"]["cap"], within["cap_status"]) == ("0.5", "within")

        stricter = {**half, "cap": "0.4999", "effective_from": "2025-09-01"}
        await ok(await client.post(CAPS, json=stricter, headers=writer), 201)
        over = await ok(await client.get(SHARE, params={"year": 2025}, headers=writer))
        assert (over["cap"]["cap"], over["cap_status"]) == ("0.4999", "over")
        listed = await ok(await client.get(CAPS, headers=writer))
        assert [c["cap"] for c in listed["items"]] == ["0.5", "0.4999"]

    async def test_a_school_of_unrecorded_ownership_can_leave_the_verdict_open(
        self, client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]
    ) -> None:
        await setup_county(client, writer, policy)
        await confirm_two_admissions(client, writer)
        await set_ownership(client, writer, {B: "public"})  # C's 办学性质 not recorded
        cap = {"cap": "0.3", "effective_from": "2024-01-01", "source": "东胜区教育局〔2024〕1号"}
        await ok(await client.post(CAPS, json=cap, headers=writer), 201)

        body = await ok(await client.get(SHARE, params={"year": 2025}, headers=writer))
        assert body["pupils"] == {"public": 1, "private": 0, "unrecorded": 1, "total": 2}
        assert (body["private_share"], body["private_share_max"]) == ("0.0000", "0.5000")
        assert body["cap_status"] == "undetermined"


class TestCapInput:
    async def test_a_cap_outside_0_to_1_or_dates_out_of_order_are_422(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        base = {"cap": "0.15", "effective_from": "2025-01-01", "source": "东胜区教育局〔2025〕2号"}
        for change, field, rule in (
            ({"cap": "0"}, "cap", "greater_than"),
            ({"cap": "1.5"}, "cap", "less_than_equal"),
            ({"cap": "0.12345"}, "cap", "decimal_max_places"),
            ({"effective_to": "2024-12-31"}, "body", "effective_dates_order"),
        ):
            response = await client.post(CAPS, json={**base, **change}, headers=writer)
            assert response.status_code == 422, change
            assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [(field, rule)]
        assert (await ok(await client.get(CAPS, headers=writer)))["items"] == []

    async def test_another_countys_share_is_403(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.get(
            "/v1/counties/220822/private-share", params={"year": 2025}, headers=writer
        )
        assert response.status_code == 403
        assert response.json()["errors"][0]["rule"] == "jurisdiction"
