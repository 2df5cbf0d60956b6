"""Signed batch answers (`POST /v1/fact-assertions/batch`, the automatic check and the county's
re-check) are held to the single lookup's guarantees: a batch signed by another key, or an entry
about another person, is refused and ledgered as refused — the fact is left unavailable and the
application waits for manual evidence — and an agency down leaves the same route. Real
simulators (fault injection), SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from junheng_kit.testing.agencies import Simulator

from .conftest import MIGRANT, facts_policy, setup_county, submit_migrant


@pytest.fixture
async def county(client: AsyncClient, writer: dict[str, str]) -> None:
    await setup_county(client, writer, facts_policy())


async def checked_in_a_batch(
    client: AsyncClient, app: FastAPI, writer: dict[str, str], reader: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """A migrant family submitted and checked by the automatic (batch) check: its application
    read back, and the access log's outcome per agency."""
    created = await submit_migrant(client, writer, MIGRANT)
    assert await app.state.fact_jobs.check_submitted() == 1
    read = (await client.get(f"/v1/applications/{created['id']}", headers=reader)).json()
    facts = await client.get(f"/v1/applications/{created['id']}/facts", headers=reader)
    assert facts.status_code == 200, facts.text
    log = {e["agency"]: e["outcome"] for e in facts.json()["access_log"]}
    return dict(read), log


@pytest.mark.usefixtures("county")
async def test_a_batch_signed_with_another_key_is_refused_and_ledgered(
    client: AsyncClient,
    app: FastAPI,
    writer: dict[str, str],
    reader: dict[str, str],
    simulators: dict[str, Simulator],
) -> None:
    simulators["permit"].faults("bad_signature")
    read, log = await checked_in_a_batch(client, app, writer, reader)
    permit = next(f for f in read["facts"] if f["fact"] == "residence_permit_months")
    assert permit["status"] == "unavailable"
    assert "signature" in permit["detail"]
    assert log == {
        "hukou": "matched",
        "permit": "refused",
        "estate": "matched",
        "social": "matched",
    }
    assert read["status"] == "verifying"  # manual evidence of the 居住证
    assert "等待人工核验" in read["status_reason"]
    checklist = {c["document"]: c["status"] for c in read["checklist"]}
    assert checklist["residence_permit"] == "not_checked"
    assert checklist["registered_lease"] == "confirmed"


@pytest.mark.usefixtures("county")
async def test_a_batch_entry_about_another_person_is_refused_and_ledgered(
    client: AsyncClient,
    app: FastAPI,
    writer: dict[str, str],
    reader: dict[str, str],
    simulators: dict[str, Simulator],
) -> None:
    """The batch is validly signed, but its entry names another subject (sha256 of another
    citizen ID): that answer does not count for this child."""
    simulators["social"].faults("wrong_subject")
    read, log = await checked_in_a_batch(client, app, writer, reader)
    social = next(f for f in read["facts"] if f["fact"] == "social_insurance_months")
    assert social["status"] == "unavailable"
    assert "another person" in social["detail"]
    assert log["social"] == "refused"
    assert read["status"] == "verifying"


@pytest.mark.usefixtures("county")
async def test_a_single_answer_about_another_person_is_refused_too(
    client: AsyncClient, writer: dict[str, str], simulators: dict[str, Simulator]
) -> None:
    simulators["estate"].faults("wrong_subject")
    created = await submit_migrant(client, writer, MIGRANT)
    response = await client.post(
        f"/v1/applications/{created['id']}/facts/check", json={}, headers=writer
    )
    assert response.status_code == 200, response.text
    body = response.json()
    lease = next(f for f in body["facts"] if f["fact"] == "rents_home")
    assert lease["status"] == "unavailable"
    assert "subject" in lease["detail"]
    assert {e["agency"]: e["outcome"] for e in body["access_log"]}["estate"] == "refused"
    assert body["status"] == "verifying"


@pytest.mark.usefixtures("county")
async def test_with_an_agency_down_the_batch_leaves_its_facts_to_manual_evidence(
    client: AsyncClient,
    app: FastAPI,
    writer: dict[str, str],
    reader: dict[str, str],
    simulators: dict[str, Simulator],
) -> None:
    simulators["social"].faults("down")
    read, log = await checked_in_a_batch(client, app, writer, reader)
    social = next(f for f in read["facts"] if f["fact"] == "social_insurance_months")
    assert (social["status"], social["agency"]) == ("unavailable", "social")
    assert log["social"] == "unavailable"
    assert read["status"] == "verifying"
    assert "social_insurance_months" in read["status_reason"]
