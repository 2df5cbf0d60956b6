"""Evaluation's dead letters are loud: an event its handler cannot apply shows within seconds in
`junheng_dead_letters{durable}` and in `/readyz` (still 200), and is gone once purged (real
nats-server, SQLite and PostgreSQL)."""

import contextlib
import io
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from nats.js import JetStreamContext
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from evaluation.app import create_app
from evaluation.settings import EvaluationSettings
from junheng_contracts.staffing import (
    SchoolTeacherStatsChanged,
    SchoolTeacherStatsData,
    SectionTeacherStats,
)
from junheng_kit.dlq import run
from junheng_kit.messaging.connection import ensure_streams
from junheng_kit.testing.plugin import TEST_PSEUDONYM_KEY, TEST_SECRET, settles_on

DURABLE = "evaluation-teacher-stats"
DURABLES = ("evaluation-schools", "evaluation-teacher-stats", "evaluation-seats")
READY = {
    "status": "ready",
    "checks": {
        "database": "ok",
        "nats": "ok",
        "jetstream": "ok",
        "dead_letters": "ok",
        "consumers": "ok",
    },
}


@pytest.fixture
async def http(
    fresh_database_url: str, jwks_json: str, nats_url: str, js: JetStreamContext
) -> AsyncIterator[httpx.AsyncClient]:
    """Evaluation on a real nats-server, dead-lettering at the first failure and reading its
    depth twice a second. The session's nats-server is shared: its letters start empty."""
    await ensure_streams(js)
    await js.purge_stream("DLQ", subject=f"dlq.evaluation.{DURABLE}")
    app: FastAPI = create_app(
        EvaluationSettings(
            environment="test",
            secret_key=SecretStr(TEST_SECRET),
            pseudonym_key=SecretStr(TEST_PSEUDONYM_KEY),
            database_url=fresh_database_url,
            jwks_json=jwks_json,
            nats_url=nats_url,
            consumer_max_deliver=1,
            dead_letter_refresh_seconds=0.5,
        )
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


def primary_listed_twice() -> SchoolTeacherStatsChanged:
    """Teacher counts that list one level twice: the handler refuses them (DuplicateSection)."""
    section = SectionTeacherStats(
        level="primary",
        full_time_teachers=20,
        teachers_above_required_degree=18,
        backbone_teachers=3,
        pe_arts_teachers=2,
    )
    return SchoolTeacherStatsChanged.of(
        subject="2115060001",
        jurisdiction="150602",
        data=SchoolTeacherStatsData(
            school_code="2115060001",
            county_code="150602",
            as_of=date(2025, 10, 15),
            version=1,
            sections=[section, section],
        ),
    )


async def depths(http: httpx.AsyncClient) -> dict[str, float]:
    """`junheng_dead_letters` per durable of evaluation, as a scrape reads it."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families((await http.get("/metrics")).text):
        if family.name == "junheng_dead_letters":
            for sample in family.samples:
                if sample.labels["durable"] in DURABLES:
                    found[sample.labels["durable"]] = sample.value
    return found


async def readiness(http: httpx.AsyncClient) -> tuple[int, Any]:
    response = await http.get("/readyz")
    return response.status_code, response.json()


class TestAnUnprocessableEvent:
    async def test_shows_within_seconds_in_the_metric_and_readyz_and_goes_when_purged(
        self, http: httpx.AsyncClient, js: JetStreamContext, nats_url: str
    ) -> None:
        assert await readiness(http) == (200, READY)
        assert await depths(http) == dict.fromkeys(DURABLES, 0)
        event = primary_listed_twice()

        await js.publish(
            event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id}
        )

        await settles_on(lambda: depths(http), {**dict.fromkeys(DURABLES, 0), DURABLE: 1})
        assert await readiness(http) == (
            200,
            {"status": "degraded", "checks": {**READY["checks"], "dead_letters": {DURABLE: 1}}},
        )
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = await run(
                ["--nats-url", nats_url, "purge", "--service", "evaluation", "--durable", DURABLE]
            )
        assert code == 0
        await settles_on(lambda: readiness(http), (200, READY))
        assert await depths(http) == dict.fromkeys(DURABLES, 0)
