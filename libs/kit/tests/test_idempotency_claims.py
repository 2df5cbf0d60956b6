"""Idempotency-Key across replicas and crashes: the key is claimed in the database and answered
in the effect's own transaction (junheng_kit.idempotency). Two app instances on one database
stand for two replicas; SQLite and PostgreSQL."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import text

from junheng_kit.app import build_service_app
from junheng_kit.bridge import call_asgi
from junheng_kit.db import SessionDep, create_engine
from junheng_kit.idempotency import fingerprint
from junheng_kit.problems import Conflict, FieldError
from junheng_kit.testing.plugin import TokenFactory, small_service_settings
from junheng_kit.timeutil import utcnow


@dataclass
class Notes:
    """An endpoint whose effect is a row: `hold` keeps a request running, `fail` answers 500."""

    hold: asyncio.Event = field(default_factory=asyncio.Event)
    started: int = 0
    fail: bool = False

    def __post_init__(self) -> None:
        self.hold.set()

    def app(self, database_url: str, jwks: str, **settings: Any) -> FastAPI:
        router = APIRouter()

        @router.post("/v1/notes", status_code=201)
        async def add_note(session: SessionDep, body: dict[str, Any]) -> dict[str, Any]:
            self.started += 1
            await self.hold.wait()
            if body.get("refuse"):
                raise Conflict("refused", FieldError("text", "note_refused"))
            if self.fail:
                raise RuntimeError("a bug")
            await session.execute(
                text("INSERT INTO note (text) VALUES (:text)"), {"text": body["text"]}
            )
            count = (await session.execute(text("SELECT count(*) FROM note"))).scalar_one()
            return {"text": body["text"], "rows_seen": count}

        return build_service_app(
            small_service_settings("notes", database_url, jwks_json=jwks, **settings),
            title="notes",
            description="",
            routers=[router],
        )


@pytest.fixture
async def replicas(database: str, jwks_json: str) -> AsyncIterator[tuple[FastAPI, FastAPI, Notes]]:
    notes = Notes()
    first, second = notes.app(database, jwks_json), notes.app(database, jwks_json)
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        yield first, second, notes


RecordOf = Callable[[str], Awaitable[Any]]  # conftest's claim_record


async def post(
    app: FastAPI, token: str, key: str, body: dict[str, Any]
) -> tuple[int, dict[str, str], Any]:
    status, headers, content = await call_asgi(
        app,
        method="POST",
        path="/v1/notes",
        query="",
        headers=[
            ("authorization", f"Bearer {token}"),
            ("idempotency-key", key),
            ("content-type", "application/json"),
        ],
        body=json.dumps(body).encode(),
    )
    return status, dict(headers), json.loads(content)


async def rows(database: str) -> int:
    engine = create_engine(database)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text("SELECT count(*) FROM note"))).scalar_one())
    finally:
        await engine.dispose()


async def test_same_key_pairs_on_two_replicas_have_one_effect(
    replicas: tuple[FastAPI, FastAPI, Notes], database: str, token: TokenFactory
) -> None:
    first, second, _ = replicas
    bearer = token("notes:write")
    answers = []
    for n in range(20):
        body = {"text": f"note {n}"}
        answers += await asyncio.gather(
            post(first, bearer, f"pair-{n}", body), post(second, bearer, f"pair-{n}", body)
        )
    assert await rows(database) == 20  # one effect per key, never two
    created = [a for a in answers if a[0] == 201]
    waiting = [a for a in answers if a[0] == 409]
    assert len(created) + len(waiting) == 40
    assert len(created) >= 20
    for _, headers, body in waiting:  # the second arrived while the first ran
        assert body["errors"][0]["rule"] == "idempotency_in_progress"
        assert headers["retry-after"] == "1"
    for n in range(20):  # a retry now gets the first answer, on either replica
        for app in (first, second):
            status, headers, body = await post(app, bearer, f"pair-{n}", {"text": f"note {n}"})
            assert status == 201
            assert body["text"] == f"note {n}"
            assert headers["idempotent-replayed"] == "true"
    assert await rows(database) == 20


async def test_while_the_first_runs_the_other_replica_answers_in_progress(
    replicas: tuple[FastAPI, FastAPI, Notes], database: str, token: TokenFactory
) -> None:
    first, second, notes = replicas
    bearer = token("notes:write")
    notes.hold.clear()
    running = asyncio.create_task(post(first, bearer, "slow", {"text": "slow"}))
    while notes.started == 0:
        await asyncio.sleep(0.01)
    status, headers, body = await post(second, bearer, "slow", {"text": "slow"})
    assert (status, headers["retry-after"]) == (409, "1")
    assert body["errors"][0]["rule"] == "idempotency_in_progress"
    reused = await post(second, bearer, "slow", {"text": "another note"})
    assert reused[0] == 422
    assert reused[2]["errors"][0]["rule"] == "idempotency_key_reused"
    notes.hold.set()
    assert (await running)[0] == 201
    assert notes.started == 1
    assert await rows(database) == 1


async def test_a_claim_left_by_a_crashed_owner_expires_and_the_retry_runs_once(
    database: str, jwks_json: str, token: TokenFactory
) -> None:
    notes = Notes()
    app = notes.app(database, jwks_json)
    bearer = token("notes:write")
    fingerprint_of = fingerprint("POST", "/v1/notes", b"", b'{"text": "after a crash"}')
    engine = create_engine(database)
    async with engine.begin() as connection:  # what a process killed mid-request leaves
        await connection.execute(
            text(
                "INSERT INTO idempotency_record (client_id, key, method, path, fingerprint, "
                "state, owner, expires_at, status, headers, body, created_at) VALUES "
                "('test-client', :key, 'POST', '/v1/notes', :fp, 'pending', 'dead-owner', "
                ":expires, 0, '{}', :body, :now)"
            ),
            {
                "key": "crashed",
                "fp": fingerprint_of,
                "expires": utcnow() + timedelta(seconds=30),
                "body": b"",
                "now": utcnow(),
            },
        )
    async with app.router.lifespan_context(app):
        status, headers, _ = await post(app, bearer, "crashed", {"text": "after a crash"})
        assert (status, headers["retry-after"]) == (409, "1")  # the lease still runs
        assert notes.started == 0
        async with engine.begin() as connection:  # … until it ends
            await connection.execute(
                text("UPDATE idempotency_record SET expires_at = :past WHERE key = 'crashed'"),
                {"past": utcnow() - timedelta(seconds=1)},
            )
        status, _, body = await post(app, bearer, "crashed", {"text": "after a crash"})
        assert (status, body["rows_seen"]) == (201, 1)
        replayed = await post(app, bearer, "crashed", {"text": "after a crash"})
        assert replayed[1]["idempotent-replayed"] == "true"
    await engine.dispose()
    assert notes.started == 1
    assert await rows(database) == 1


async def test_a_request_that_lost_its_claim_rolls_its_effect_back(
    replicas: tuple[FastAPI, FastAPI, Notes],
    database: str,
    token: TokenFactory,
    claim_record: RecordOf,
) -> None:
    """A request still running when a retry took its claim over (its lease ended): it must not
    commit, or the key would have two effects."""
    first, _, notes = replicas
    bearer = token("notes:write")
    notes.hold.clear()
    running = asyncio.create_task(post(first, bearer, "taken", {"text": "taken"}))
    while notes.started == 0:
        await asyncio.sleep(0.01)
    engine = create_engine(database)
    async with engine.begin() as connection:  # a retry elsewhere took the claim over
        await connection.execute(
            text("UPDATE idempotency_record SET owner = 'the-retry' WHERE key = 'taken'")
        )
    await engine.dispose()
    notes.hold.set()
    status, _, body = await running
    assert (status, body["errors"][0]["rule"]) == (409, "idempotency_in_progress")
    assert await rows(database) == 0  # rolled back
    assert (await claim_record("taken")).owner == "the-retry"


async def test_a_refusal_is_the_keys_answer_and_a_5xx_releases_the_key(
    replicas: tuple[FastAPI, FastAPI, Notes],
    database: str,
    token: TokenFactory,
    claim_record: RecordOf,
) -> None:
    first, second, notes = replicas
    bearer = token("notes:write")
    refused = await post(first, bearer, "refused", {"text": "x", "refuse": True})
    again = await post(second, bearer, "refused", {"text": "x", "refuse": True})
    assert refused[0] == again[0] == 409
    assert again[2]["errors"][0]["rule"] == "note_refused"
    assert again[1]["idempotent-replayed"] == "true"
    notes.fail = True
    failed = await post(first, bearer, "flaky", {"text": "y"})
    assert failed[0] == 500
    assert await claim_record("flaky") is None  # released: a retry runs again
    notes.fail = False
    retried = await post(second, bearer, "flaky", {"text": "y"})
    assert retried[0] == 201
    assert "idempotent-replayed" not in retried[1]
    assert await rows(database) == 1


async def test_a_long_request_keeps_its_claim(
    database: str, jwks_json: str, token: TokenFactory
) -> None:
    """The lease is renewed while the request runs: only a dead owner's claim expires."""
    notes = Notes()
    first = notes.app(database, jwks_json, idempotency_lease_seconds=0.6)
    second = notes.app(database, jwks_json, idempotency_lease_seconds=0.6)
    bearer = token("notes:write")
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        notes.hold.clear()
        running = asyncio.create_task(post(first, bearer, "long", {"text": "long"}))
        while notes.started == 0:
            await asyncio.sleep(0.01)
        for _ in range(4):  # well past the lease: still in progress, never run again
            await asyncio.sleep(0.4)
            assert (await post(second, bearer, "long", {"text": "long"}))[0] == 409
        notes.hold.set()
        assert (await running)[0] == 201
    assert notes.started == 1
    assert await rows(database) == 1


async def test_keys_past_their_retention_are_swept_and_a_live_claim_is_kept(
    database: str, jwks_json: str, token: TokenFactory, claim_record: RecordOf
) -> None:
    """Each replica's sweeper deletes records older than the retention; a key swept is new
    again (the request runs), a settled key inside the retention is still replayed, and a
    pending claim inside its lease is kept, however old (its owner still runs)."""
    notes = Notes()
    app = notes.app(
        database, jwks_json, idempotency_retention_hours=24, idempotency_sweep_seconds=0.05
    )
    bearer = token("notes:write")
    engine = create_engine(database)
    async with app.router.lifespan_context(app):
        for key in ("old", "recent"):
            assert (await post(app, bearer, key, {"text": key}))[0] == 201
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO idempotency_record (client_id, key, method, path, fingerprint, "
                    "state, owner, expires_at, status, headers, body, created_at) VALUES "
                    "('test-client', 'long-runner', 'POST', '/v1/notes', 'fp', 'pending', "
                    "'alive', :lease, 0, '{}', :body, :long_ago)"
                ),
                {
                    "lease": utcnow() + timedelta(seconds=30),
                    "body": b"",
                    "long_ago": utcnow() - timedelta(hours=30),
                },
            )
            await connection.execute(
                text("UPDATE idempotency_record SET created_at = :then WHERE key = 'old'"),
                {"then": utcnow() - timedelta(hours=25)},
            )
        for _ in range(100):
            if await claim_record("old") is None:
                break
            await asyncio.sleep(0.05)
        assert await claim_record("old") is None
        assert (await claim_record("long-runner")).owner == "alive"
        assert (await post(app, bearer, "recent", {"text": "recent"}))[1].get(
            "idempotent-replayed"
        ) == "true"
        # forgotten: the key is new again, even with another body
        status, headers, _ = await post(app, bearer, "old", {"text": "old, sent again"})
        assert (status, headers.get("idempotent-replayed")) == (201, None)
    await engine.dispose()
    assert notes.started == 3  # old, recent, then old again once forgotten
