"""Dead letters are loud: a consumer's letters in the DLQ stream show as `junheng_dead_letters`
and in `/readyz` within seconds, read from JetStream (the same in every replica), and fall when
an operator replays or purges them (real nats-server, SQLite and PostgreSQL inboxes)."""

import contextlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from nats.js import JetStreamContext
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_contracts.enrollment import SchoolRegistered
from junheng_kit.app import build_service_app
from junheng_kit.dlq import run
from junheng_kit.ids import uuid7
from junheng_kit.messaging import Subscriptions
from junheng_kit.testing.plugin import (
    school_registered,
    settles_on,
    small_service_settings,
)

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


@dataclass
class Service:
    """A small service with two durables on enrollment.school.registered: `broken` fails on the
    poison events until `fixed`, `healthy` applies everything."""

    name: str
    poison: set[str] = field(default_factory=set)
    fixed: bool = False
    applied: list[str] = field(default_factory=list)

    @property
    def broken(self) -> str:
        return f"{self.name}-broken"

    @property
    def healthy(self) -> str:
        return f"{self.name}-healthy"

    def app(self, database_url: str, nats_url: str) -> FastAPI:
        subscriptions = Subscriptions()

        @subscriptions.on(SchoolRegistered, durable=self.broken)
        async def flaky(session: AsyncSession, event: Any) -> None:
            if event.id in self.poison and not self.fixed:
                raise RuntimeError("handler bug, fixed in the next release")
            self.applied.append(event.id)

        @subscriptions.on(SchoolRegistered, durable=self.healthy)
        async def sound(session: AsyncSession, event: Any) -> None:
            pass

        settings = small_service_settings(
            self.name,
            database_url,
            nats_url=nats_url,
            consumer_max_deliver=1,  # the first failure dead-letters
            dead_letter_refresh_seconds=0.5,
        )
        return build_service_app(
            settings, title=self.name, description="", routers=[], subscriptions=subscriptions
        )


@pytest.fixture
def service(backend: str) -> Service:
    """A service name of this test alone: its letters are `dlq.<name>.…`, nobody else's."""
    return Service(f"loud-{backend}-{uuid7().hex[-6:]}")


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
            yield http


async def publish_poison(js: JetStreamContext, service: Service) -> SchoolRegistered:
    event = school_registered(name="死信测试小学")
    service.poison.add(event.id)
    # without Nats-Msg-Id (the outbox sets it): a replay, which uses the event id, is then not
    # dropped as a duplicate of this publication within the stream's 5-minute window
    await js.publish(event.type, event.model_dump_json().encode())
    return event


async def depth(http: httpx.AsyncClient, durable: str) -> float | None:
    """`junheng_dead_letters{durable=…}` as a scrape of /metrics reads it."""
    for family in text_string_to_metric_families((await http.get("/metrics")).text):
        if family.name == "junheng_dead_letters":
            for sample in family.samples:
                if sample.labels == {"durable": durable}:
                    return sample.value
    return None


async def readiness(http: httpx.AsyncClient) -> tuple[int, Any]:
    response = await http.get("/readyz")
    return response.status_code, response.json()


def degraded(letters: dict[str, int]) -> tuple[int, Any]:
    return 200, {"status": "degraded", "checks": {**READY["checks"], "dead_letters": letters}}


async def dlq(nats_url: str, *args: str) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return await run(["--nats-url", nats_url, *args])


class TestAPoisonEventIsVisible:
    async def test_within_seconds_in_the_metric_and_readyz_and_gone_after_a_replay(
        self, service: Service, fresh_database_url: str, nats_url: str, js: JetStreamContext
    ) -> None:
        async with running(service.app(fresh_database_url, nats_url)) as http:
            assert await readiness(http) == (200, READY)
            assert (await depth(http, service.broken), await depth(http, service.healthy)) == (0, 0)

            event = await publish_poison(js, service)

            await settles_on(lambda: depth(http, service.broken), 1)
            assert await readiness(http) == degraded({service.broken: 1})
            assert await depth(http, service.healthy) == 0

            service.fixed = True  # the new release is deployed
            code = await dlq(
                nats_url, "replay", "--service", service.name, "--durable", service.broken
            )

            assert code == 0
            await settles_on(lambda: depth(http, service.broken), 0)
            assert await readiness(http) == (200, READY)
            assert service.applied.count(event.id) == 1


class TestEveryReplicaReadsTheStream:
    async def test_both_replicas_count_the_letters_one_of_them_wrote_and_a_purge_lowers_both(
        self, service: Service, fresh_database_url: str, nats_url: str, js: JetStreamContext
    ) -> None:
        one = service.app(fresh_database_url, nats_url)
        two = service.app(fresh_database_url, nats_url)
        async with running(one) as first, running(two) as second:

            async def both() -> list[tuple[int, Any]]:
                return [await readiness(first), await readiness(second)]

            await publish_poison(js, service)
            await publish_poison(js, service)

            await settles_on(both, [degraded({service.broken: 2})] * 2)
            oldest = await js.get_msg(
                "DLQ", seq=1, subject=f"dlq.{service.name}.{service.broken}", next=True
            )
            code = await dlq(
                nats_url,
                "purge",
                "--service",
                service.name,
                "--durable",
                service.broken,
                "--seq",
                str(oldest.seq),
            )
            assert code == 0
            await settles_on(both, [degraded({service.broken: 1})] * 2)

            code = await dlq(
                nats_url, "purge", "--service", service.name, "--durable", service.broken
            )
            assert code == 0
            await settles_on(both, [(200, READY)] * 2)
