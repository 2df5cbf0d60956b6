"""Idempotency-Key on one replica: a retry while the first request still runs waits for it and
gets its answer — the request never runs twice (across replicas: test_idempotency_claims)."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI

from junheng_kit.app import build_service_app
from junheng_kit.bridge import call_asgi
from junheng_kit.testing.plugin import TokenFactory, small_service_settings


class Counter:
    def __init__(self) -> None:
        self.calls = 0
        self.hold = asyncio.Event()
        self.hold.set()


def notes_app(database_url: str, jwks: str, counter: Counter) -> FastAPI:
    router = APIRouter()

    @router.post("/v1/notes", status_code=201)
    async def add_note() -> dict[str, int]:
        counter.calls += 1
        number = counter.calls
        await counter.hold.wait()
        return {"note": number}

    settings = small_service_settings("notes", database_url, jwks_json=jwks)
    return build_service_app(settings, title="notes", description="", routers=[router])


@pytest.fixture
async def app(
    fresh_database_url: str, jwks_json: str
) -> AsyncIterator[tuple[FastAPI, Counter, str]]:
    counter = Counter()
    app = notes_app(fresh_database_url, jwks_json, counter)
    async with app.router.lifespan_context(app):
        yield app, counter, fresh_database_url


async def post(app: FastAPI, token: str, key: str) -> tuple[int, dict[str, str], Any]:
    status, headers, body = await call_asgi(
        app,
        method="POST",
        path="/v1/notes",
        query="",
        headers=[("authorization", f"Bearer {token}"), ("idempotency-key", key)],
        body=b"",
    )
    return status, dict(headers), json.loads(body)


async def test_a_retry_while_the_first_still_runs_waits_for_it(
    app: tuple[FastAPI, Counter, str], token: TokenFactory
) -> None:
    service, counter, _ = app
    bearer = token("notes:write")
    counter.hold.clear()
    first = asyncio.create_task(post(service, bearer, "slow-1"))
    while counter.calls == 0:
        await asyncio.sleep(0.01)
    second = asyncio.create_task(post(service, bearer, "slow-1"))
    other_key = asyncio.create_task(post(service, bearer, "slow-2"))  # another key runs
    while counter.calls < 2:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    assert counter.calls == 2
    assert not second.done()
    counter.hold.set()
    answers = await asyncio.wait_for(asyncio.gather(first, second, other_key), 30)
    assert [(s, b) for s, _, b in answers] == [
        (201, {"note": 1}),
        (201, {"note": 1}),
        (201, {"note": 2}),
    ]
    assert answers[1][1]["idempotent-replayed"] == "true"
    assert counter.calls == 2
