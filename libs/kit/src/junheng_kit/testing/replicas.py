"""Races between replicas: apps of one service on one committed database, each with its own
engine and lifespan, requests sent to them at once, and the check that such a race settled
(re-exported by the plugin: `from junheng_kit.testing.plugin import running_replicas`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from junheng_kit.testing.settings import service_settings


@dataclass
class Replicas:
    """Apps on one committed database, each with its own engine, pool and lifespan — replicas of
    one service, as a deployment runs them — and an HTTP client per app. Nothing rolls back:
    build them on a database of the test alone (`fresh_database_url`)."""

    apps: list[FastAPI]
    clients: list[httpx.AsyncClient]

    @property
    def client(self) -> httpx.AsyncClient:
        """The first replica's client, for a test's set-up requests."""
        return self.clients[0]

    async def race(
        self, method: str, url: str, *, times: int = 20, **request: Any
    ) -> list[httpx.Response]:
        """`times` identical requests sent at once, spread over the replicas in turn; the
        answers in the order sent."""
        import asyncio

        sent = (
            self.clients[i % len(self.clients)].request(method, url, **request)
            for i in range(times)
        )
        return list(await asyncio.gather(*sent))

    async def count(self, table: Any, *where: Any) -> int:
        """Rows of a table (a model or Table) in the database, committed, with `where`."""
        from sqlalchemy import func, select

        async with self.apps[0].state.sessionmaker() as session:
            found = await session.scalar(select(func.count()).select_from(table).where(*where))
        return int(found or 0)


@asynccontextmanager
async def running_replicas(apps: Sequence[FastAPI]) -> AsyncIterator[Replicas]:
    """Run each app's lifespan (its own engine) and open a client on it. A 500 is answered as a
    response (`raise_app_exceptions=False`), so a race that breaks shows up in the assertions."""
    async with AsyncExitStack() as stack:
        clients = []
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url="http://service")
                )
            )
        yield Replicas(list(apps), clients)


def replicas_fixture(
    create_app: Callable[[Any], FastAPI], settings_type: type[Any], *, count: int = 2
) -> Any:
    """A `replicas` fixture for a service's conftest: `count` apps built by `create_app` on one
    fresh migrated database (no NATS), run as replicas (`Replicas`):

    `replicas = replicas_fixture(create_app, EnrollmentSettings)`"""

    @pytest.fixture(name="replicas")
    async def replicas_fixture(fresh_database_url: str, jwks_json: str) -> AsyncIterator[Replicas]:
        apps = [
            create_app(
                service_settings(
                    settings_type,
                    database_url=fresh_database_url,
                    jwks_json=jwks_json,
                    nats_url=None,
                )
            )
            for _ in range(count)
        ]
        async with running_replicas(apps) as replicas:
            yield replicas

    return replicas_fixture


def problem_errors(response: httpx.Response) -> list[tuple[str, str]]:
    """(field, rule) of each error of a problem+json answer."""
    assert response.headers["content-type"] == "application/problem+json", response.text
    return [(e["field"], e["rule"]) for e in response.json()["errors"]]


def assert_race_settled(
    responses: Sequence[httpx.Response],
    *conflicts: tuple[str, str],
    won: int = 201,
    winners: int | None = 1,
    later: frozenset[int] = frozenset(),
) -> list[httpx.Response]:
    """The answers of a race for one key: no 5xx; `winners` answers `won` (one: the request
    that stored the key; None: at least one, for writes every request may make in turn); every
    other answer a 409 problem+json naming one of the `conflicts` (field, rule) — or, for a
    request that came after the winner committed and is no conflict for the endpoint (an upsert
    answering 200 the second time), a status in `later`. Returns the winning answers."""
    assert conflicts, "name the (field, rule) a loser is told"
    statuses = sorted(r.status_code for r in responses)
    assert all(s < 500 for s in statuses), [r.text for r in responses if r.status_code >= 500]
    won_answers = [r for r in responses if r.status_code == won]
    if winners is None:
        assert won_answers, statuses
    else:
        assert len(won_answers) == winners, [(r.status_code, r.text) for r in responses]
    for response in responses:
        if response.status_code == won or response.status_code in later:
            continue
        assert response.status_code == 409, (response.status_code, response.text)
        assert set(problem_errors(response)) & set(conflicts), response.text
    return won_answers
