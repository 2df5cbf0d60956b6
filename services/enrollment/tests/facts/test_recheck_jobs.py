"""A county's re-check job whose process died does not stay `running`: past its lease another
replica (here: the app's own sweep, as every replica's automatic loop runs it) resumes it after
its last committed batch, or marks it failed once it was run `MAX_ATTEMPTS` times; a job another
process holds within its lease is never run twice. Real simulators, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from enrollment.app import create_app
from enrollment.facts.jobs import MAX_ATTEMPTS, FactJobs, new_job
from enrollment.facts.models import FactRecheckJob
from junheng_kit.testing.agencies import Simulator
from junheng_kit.timeutil import utcnow

from .conftest import MIGRANT, SHORT, fact_settings, facts_policy, setup_county, submit_migrant


@pytest.fixture
async def running(
    fresh_database_url: str, jwks_json: str, fact_agencies: Path, keys: Path
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    """An app whose requests really commit, and its client (the replica that takes over)."""
    app = create_app(fact_settings(fresh_database_url, jwks_json, fact_agencies, keys))
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://service") as http:
            yield app, http


async def left_behind(app: FastAPI, **fields: Any) -> UUID:
    """A job row as a process left it (its owner, lease, progress given)."""
    job = new_job("150602", "clerk")
    for name, value in fields.items():
        setattr(job, name, value)
    async with app.state.sessionmaker() as session:
        session.add(job)
        await session.commit()
        return job.id


async def job_of(client: AsyncClient, reader: dict[str, str], job_id: UUID) -> dict[str, Any]:
    response = await client.get(f"/v1/facts/recheck/{job_id}", headers=reader)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def status_of(client: AsyncClient, reader: dict[str, str], app_id: str) -> str:
    return str((await client.get(f"/v1/applications/{app_id}", headers=reader)).json()["status"])


async def test_a_job_whose_process_died_is_resumed_after_its_last_committed_batch(
    running: tuple[FastAPI, AsyncClient], writer: dict[str, str], reader: dict[str, str]
) -> None:
    app, client = running
    await setup_county(client, writer, facts_policy())
    first = await submit_migrant(client, writer, MIGRANT)
    second = await submit_migrant(client, writer, SHORT)
    # the dead process had committed the first application's batch, then stopped renewing
    job_id = await left_behind(
        app,
        status="running",
        owner="a-process-that-died",
        lease_until=utcnow() - timedelta(seconds=1),
        total=2,
        done=1,
        counts={"verified": 1},
        resume_after=UUID(first["id"]),
        attempts=1,
    )
    assert (await job_of(client, reader, job_id))["status"] == "running"

    assert await app.state.fact_jobs.take_over_stale() == [job_id]
    await app.state.fact_jobs.wait(job_id)

    job = await job_of(client, reader, job_id)
    assert (job["status"], job["done"], job["total"]) == ("finished", 2, 2)
    assert job["counts"] == {"verified": 1, "contradicted": 1}  # its own, then the rest
    # only the rest was asked: the first application's batch is not checked again
    assert await status_of(client, reader, first["id"]) == "submitted"
    assert await status_of(client, reader, second["id"]) == "needs_documents"
    async with app.state.sessionmaker() as session:
        row = await session.get(FactRecheckJob, job_id)
        assert row is not None
        assert (row.attempts, row.owner, row.lease_until) == (2, None, None)
    assert await app.state.fact_jobs.take_over_stale() == []  # ended: nothing left to take


async def test_a_job_held_within_its_lease_is_not_run_by_another_process(
    running: tuple[FastAPI, AsyncClient], writer: dict[str, str], reader: dict[str, str]
) -> None:
    app, client = running
    await setup_county(client, writer, facts_policy())
    first = await submit_migrant(client, writer, MIGRANT)
    job_id = await left_behind(
        app, status="running", owner="a-live-process", lease_until=utcnow() + timedelta(hours=1)
    )
    assert await app.state.fact_jobs.take_over_stale() == []
    await app.state.fact_jobs.run(job_id)  # even asked directly, it does not claim the job
    job = await job_of(client, reader, job_id)
    assert (job["status"], job["done"]) == ("running", 0)
    assert await status_of(client, reader, first["id"]) == "submitted"


async def test_a_job_its_processes_kept_dying_on_is_marked_failed(
    running: tuple[FastAPI, AsyncClient], reader: dict[str, str]
) -> None:
    app, client = running
    job_id = await left_behind(
        app,
        status="running",
        owner="the-third-process",
        lease_until=utcnow() - timedelta(seconds=1),
        attempts=MAX_ATTEMPTS,
    )
    assert await app.state.fact_jobs.take_over_stale() == []
    job = await job_of(client, reader, job_id)
    assert job["status"] == "failed"
    assert job["finished_at"] is not None
    assert f"abandoned: {MAX_ATTEMPTS} processes" in job["detail"]
    assert "任务终止" in job["detail"]


async def test_a_started_job_is_held_by_its_process_until_it_ends(
    running: tuple[FastAPI, AsyncClient], writer: dict[str, str], reader: dict[str, str]
) -> None:
    """The job `POST /v1/facts/recheck` creates is this replica's from the start (no other
    replica's sweep takes it before it starts), and gives its lease up when it ends."""
    app, client = running
    await setup_county(client, writer, facts_policy())
    await submit_migrant(client, writer, MIGRANT)
    async with app.state.sessionmaker() as session:
        job = app.state.fact_jobs.new_job("150602", "clerk")
        assert job.owner == app.state.fact_jobs.owner
        assert job.lease_until > utcnow()
        session.add(job)
        await session.commit()
        job_id = job.id
    assert await app.state.fact_jobs.take_over_stale() == []
    await app.state.fact_jobs.start(job_id)
    await app.state.fact_jobs.wait(job_id)
    done = await job_of(client, reader, job_id)
    assert (done["status"], done["done"], done["total"]) == ("finished", 1, 1)


async def test_a_job_whose_agency_answers_slowly_keeps_its_lease_by_heartbeat(
    fresh_database_url: str,
    jwks_json: str,
    fact_agencies: Path,
    keys: Path,
    writer: dict[str, str],
    reader: dict[str, str],
    simulators: dict[str, Simulator],
) -> None:
    """A batch held longer than the lease (社保 answering after 2 s, a lease of 0.6 s): the
    heartbeat renews the lease, so no other replica takes the living job over."""
    settings = fact_settings(fresh_database_url, jwks_json, fact_agencies, keys)
    app = create_app(settings.model_copy(update={"fact_job_lease_seconds": 0.6}))
    transport = ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=transport, base_url="http://service") as client,
    ):
        await setup_county(client, writer, facts_policy())
        await submit_migrant(client, writer, MIGRANT)
        simulators["social"].faults("slow", delay_ms=2000)
        async with app.state.sessionmaker() as session:
            job = app.state.fact_jobs.new_job("150602", "clerk")
            session.add(job)
            await session.commit()
            job_id = job.id
        await app.state.fact_jobs.start(job_id)
        await asyncio.sleep(1.3)  # two leases' worth, the batch still waiting for 社保
        other_replica = FactJobs(app, app.state.settings)
        assert await other_replica.take_over_stale() == []
        await app.state.fact_jobs.wait(job_id)
        done = await job_of(client, reader, job_id)
        assert (done["status"], done["done"]) == ("finished", 1)
        async with app.state.sessionmaker() as session:
            row = await session.get(FactRecheckJob, job_id)
            assert row is not None
            assert row.attempts == 1
