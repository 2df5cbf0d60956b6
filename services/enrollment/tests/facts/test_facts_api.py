"""Facts of a 随迁子女 application verified through data sharing, against the four simulators
(real HTTP, signed both ways) on SQLite and PostgreSQL: the automatic check after submission,
outages, contradictions, refused answers, the on-demand check's bad input, the family's read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from enrollment.app import create_app
from junheng_kit.testing.agencies import Simulator
from junheng_kit.testing.plugin import eventually

from .conftest import (
    ELSEWHERE,
    MIGRANT,
    SHORT,
    fact_settings,
    facts_policy,
    setup_county,
    submit_migrant,
)


@pytest.fixture
async def county(client: AsyncClient, writer: dict[str, str]) -> None:
    await setup_county(client, writer, facts_policy())


async def automatic_check(app: FastAPI) -> int:
    """What the background loop does each round (run here so the test knows when)."""
    return int(await app.state.fact_jobs.check_submitted())


async def facts_of(client: AsyncClient, reader: dict[str, str], app_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/applications/{app_id}/facts", headers=reader)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.usefixtures("county")
async def test_a_migrant_family_with_permit_lease_and_insurance_is_verified_without_a_clerk(
    client: AsyncClient, app: FastAPI, writer: dict[str, str], reader: dict[str, str]
) -> None:
    """Seed 004: "建立以居住证为主要依据的随迁子女入学政策，切实简化优化入学流程和证明要求" — the
    居住证 (26 months ≥ the county's 12 on 2025-08-31), the registered lease at the declared home,
    社保 (31 months ≥ 12) and the 户籍 outside the county are proved by the agencies: the
    application reaches `verified` with no clerk step and no document asked."""
    created = await submit_migrant(client, writer, MIGRANT)
    assert created["status"] == "submitted"
    assert await automatic_check(app) == 1
    read = (await client.get(f"/v1/applications/{created['id']}", headers=reader)).json()
    assert read["status"] == "verified"
    assert {c["document"]: c["status"] for c in read["checklist"]} == {
        "hukou_booklet": "confirmed",
        "residence_permit": "confirmed",
        "registered_lease": "confirmed",
        "social_insurance": "confirmed",
    }
    by_fact = {f["fact"]: f for f in read["facts"]}
    assert {f: (v["status"], v["agency"]) for f, v in by_fact.items()} == {
        "migrant": ("verified", "hukou"),
        "residence_permit_months": ("verified", "permit"),
        "rents_home": ("verified", "estate"),
        "social_insurance_months": ("verified", "social"),
    }
    assert "居住证持有满 12 个月" in by_fact["residence_permit_months"]["proved"]
    assert "≥ 12 months" in by_fact["social_insurance_months"]["proved"]
    facts = await facts_of(client, reader, created["id"])
    assert facts["outcome"] == "verified"
    log = facts["access_log"]
    assert sorted(e["agency"] for e in log) == ["estate", "hukou", "permit", "social"]
    assert {e["outcome"] for e in log} == {"matched"}
    assert {e["purpose"] for e in log} == {"2025年义务教育招生入学资格审核"}
    assert (await client.get("/v1/facts/ledger/verify", headers=reader)).json()["intact"]
    history = (await client.get(f"/v1/applications/{created['id']}/history", headers=reader)).json()
    moves = [(e.get("from_status"), e.get("to_status")) for e in history["items"]]
    assert ("submitted", "verifying") in moves
    assert ("verifying", "verified") in moves


@pytest.mark.usefixtures("county")
async def test_with_the_estate_registry_down_the_application_waits_for_manual_evidence(
    client: AsyncClient,
    app: FastAPI,
    writer: dict[str, str],
    reader: dict[str, str],
    simulators: dict[str, Simulator],
) -> None:
    simulators["estate"].faults("down")
    created = await submit_migrant(client, writer, MIGRANT)
    await automatic_check(app)
    read = (await client.get(f"/v1/applications/{created['id']}", headers=reader)).json()
    assert read["status"] == "verifying"
    assert "等待人工核验" in read["status_reason"]
    assert "rents_home" in read["status_reason"]
    lease = next(f for f in read["facts"] if f["fact"] == "rents_home")
    assert (lease["status"], lease["agency"]) == ("unavailable", "estate")
    assert "503" in lease["detail"]
    checklist = {c["document"]: c["status"] for c in read["checklist"]}
    assert checklist["registered_lease"] == "not_checked"  # the one document still asked
    assert checklist["residence_permit"] == "confirmed"
    log = (await facts_of(client, reader, created["id"]))["access_log"]
    assert {e["agency"]: e["outcome"] for e in log}["estate"] == "unavailable"


@pytest.mark.usefixtures("county")
async def test_too_few_months_of_insurance_send_the_application_to_needs_documents(
    client: AsyncClient, app: FastAPI, writer: dict[str, str], reader: dict[str, str]
) -> None:
    """社保 since 2025-03-01: 5 whole months on the reference day 2025-08-31, fewer than the
    county's 12 — the agency contradicts the 26 months declared."""
    created = await submit_migrant(client, writer, SHORT)
    await automatic_check(app)
    read = (await client.get(f"/v1/applications/{created['id']}", headers=reader)).json()
    assert read["status"] == "needs_documents"
    assert "social_insurance_months" in read["status_reason"]
    social = next(f for f in read["facts"] if f["fact"] == "social_insurance_months")
    assert social["status"] == "contradicted"
    assert "不满 12 个月" in social["proved"]


@pytest.mark.usefixtures("county")
async def test_a_lease_registered_at_another_address_is_a_contradiction(
    client: AsyncClient, app: FastAPI, writer: dict[str, str], reader: dict[str, str]
) -> None:
    created = await submit_migrant(client, writer, ELSEWHERE)
    await automatic_check(app)
    read = (await client.get(f"/v1/applications/{created['id']}", headers=reader)).json()
    assert read["status"] == "needs_documents"
    lease = next(f for f in read["facts"] if f["fact"] == "rents_home")
    assert lease["status"] == "contradicted"


@pytest.mark.usefixtures("county")
async def test_an_answer_with_a_bad_signature_is_refused_and_ledgered(
    client: AsyncClient,
    app: FastAPI,
    writer: dict[str, str],
    reader: dict[str, str],
    simulators: dict[str, Simulator],
) -> None:
    simulators["permit"].faults("bad_signature")
    created = await submit_migrant(client, writer, MIGRANT)
    response = await client.post(
        f"/v1/applications/{created['id']}/facts/check", json={}, headers=writer
    )
    assert response.status_code == 200, response.text
    body = response.json()
    permit = next(f for f in body["facts"] if f["fact"] == "residence_permit_months")
    assert permit["status"] == "unavailable"
    assert "signature" in permit["detail"]
    assert {e["agency"]: e["outcome"] for e in body["access_log"]}["permit"] == "refused"
    assert body["status"] == "verifying"


@pytest.mark.usefixtures("county")
async def test_the_on_demand_check_asks_one_by_one_and_verifies(
    client: AsyncClient, writer: dict[str, str], simulators: dict[str, Simulator]
) -> None:
    created = await submit_migrant(client, writer, MIGRANT)
    before = simulators["social"].requests()
    response = await client.post(
        f"/v1/applications/{created['id']}/facts/check",
        json={"purpose": "复核", "legal_basis": "《义务教育法》第十二条"},
        headers=writer,
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "verified"
    assert simulators["social"].requests() == before + 1
    assert {e["purpose"] for e in response.json()["access_log"]} == {"复核"}


@pytest.mark.usefixtures("county")
async def test_a_lookup_without_purpose_or_legal_basis_is_refused_before_it_leaves(
    client: AsyncClient,
    writer: dict[str, str],
    simulators: dict[str, Simulator],
) -> None:
    created = await submit_migrant(client, writer, MIGRANT)
    before = simulators["permit"].requests()
    response = await client.post(
        f"/v1/applications/{created['id']}/facts/check",
        json={"purpose": "复核"},
        headers=writer,
    )
    assert response.status_code == 422
    assert [e["rule"] for e in response.json()["errors"]] == ["legal_basis_or_consent_required"]
    assert simulators["permit"].requests() == before


@pytest.mark.usefixtures("county")
async def test_a_fact_the_countys_policy_does_not_define_is_422_naming_it(
    client: AsyncClient, writer: dict[str, str]
) -> None:
    created = await submit_migrant(client, writer, MIGRANT)
    response = await client.post(
        f"/v1/applications/{created['id']}/facts/check",
        json={"facts": ["social_insurance_months", "has_residence_permit"]},
        headers=writer,
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["field"], e["rule"]) for e in errors] == [("facts[1]", "fact_in_policy")]


@pytest.fixture
async def committing(
    fresh_database_url: str, jwks_json: str, fact_agencies: Path, keys: Path
) -> AsyncIterator[AsyncClient]:
    """A client of an app whose requests really commit (the re-check job runs beside them)."""
    app = create_app(fact_settings(fresh_database_url, jwks_json, fact_agencies, keys))
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://service") as http:
            yield http


async def test_a_countys_recheck_job_reports_progress_and_verifies(
    committing: AsyncClient, writer: dict[str, str], reader: dict[str, str]
) -> None:
    client = committing
    await setup_county(client, writer, facts_policy())
    first = await submit_migrant(client, writer, MIGRANT)
    second = await submit_migrant(client, writer, SHORT)
    response = await client.post("/v1/facts/recheck?county=150602", headers=writer)
    assert response.status_code == 202, response.text
    location = response.headers["Location"]

    async def ended() -> dict[str, Any] | None:  # polled as a clerk's client polls Location
        job = dict((await client.get(location, headers=reader)).json())
        return job if job["status"] in ("finished", "failed") else None

    job = await eventually(ended, timeout=30)
    assert (job["status"], job["total"], job["done"]) == ("finished", 2, 2)
    assert job["counts"] == {"verified": 1, "contradicted": 1}
    statuses = {
        a: (await client.get(f"/v1/applications/{a}", headers=reader)).json()["status"]
        for a in (first["id"], second["id"])
    }
    assert statuses == {first["id"]: "verified", second["id"]: "needs_documents"}
