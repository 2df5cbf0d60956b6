"""Idempotency-Key: a retry that arrives after the first answer but before its record is stored,
or while the first request still runs, gets the first response — the request never runs twice.

The answer leaves as soon as the response is complete (the bridge, like an HTTP server, does not
wait for the app to return), and the record is stored after it; a CI run's retry landed in that
gap and got 409 (the school it had just registered) instead of the 201 again."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from junheng_kit.app import build_service_app
from junheng_kit.bridge import call_asgi
from junheng_kit.db import create_engine
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


async def hold_record_writes(connection: AsyncConnection, backend_url: str) -> None:
    """Another writer holds the lock the record's INSERT needs; reads go on."""
    if backend_url.startswith("sqlite"):
        await connection.exec_driver_sql("INSERT INTO idempotency_record_probe VALUES (1)")
    else:
        await connection.execute(text("LOCK TABLE idempotency_record IN EXCLUSIVE MODE"))


async def test_a_retry_before_the_record_is_stored_gets_the_first_answer(
    app: tuple[FastAPI, Counter, str], token: TokenFactory
) -> None:
    service, counter, url = app
    bearer = token("notes:write")
    other = create_engine(url)
    try:
        if url.startswith("sqlite"):
            async with other.begin() as setup:
                await setup.exec_driver_sql("CREATE TABLE idempotency_record_probe (n INTEGER)")
        async with other.connect() as blocker:
            await blocker.begin()
            await hold_record_writes(blocker, url)
            status, _, body = await post(service, bearer, "retry-1")
            assert (status, body, counter.calls) == (201, {"note": 1}, 1)
            # answered; its record waits for the lock: the client retries at once
            retry = asyncio.create_task(post(service, bearer, "retry-1"))
            await asyncio.sleep(0.3)
            assert not retry.done()  # waiting for the first's record, not running again
            assert counter.calls == 1
            await blocker.rollback()
        status, headers, body = await asyncio.wait_for(retry, 30)
    finally:
        await other.dispose()
    assert (status, body) == (201, {"note": 1})
    assert headers["idempotent-replayed"] == "true"
    assert counter.calls == 1


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
