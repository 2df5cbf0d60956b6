"""Pure ASGI middleware: request id + access metrics, and Idempotency-Key replay for POST."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from collections.abc import Sequence
from typing import Any, cast

from prometheus_client import Counter, Histogram
from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from junheng_kit.batching import Batcher
from junheng_kit.context import reset_request_id, set_request_id
from junheng_kit.db import READ_ONLY, is_database_unavailable
from junheng_kit.ids import uuid7
from junheng_kit.problems import PROBLEM_JSON, DomainError, FieldError, InvalidInput, problem_body
from junheng_kit.tables import IdempotencyRecord
from junheng_kit.timeutil import utcnow

log = logging.getLogger("junheng.http")

REQUESTS = Counter("junheng_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "junheng_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)

# the labelled series by their labels: `labels()` checks and locks on every call, a request per
# call; methods, route templates and statuses are few
_REQUEST_SERIES: dict[tuple[str, str, int], Any] = {}
_LATENCY_SERIES: dict[tuple[str, str], Any] = {}


def _requests(method: str, route: str, status: int) -> Any:
    key = (method, route, status)
    series = _REQUEST_SERIES.get(key)
    if series is None:
        series = _REQUEST_SERIES[key] = REQUESTS.labels(method, route, str(status))
    return series


def _latency(method: str, route: str) -> Any:
    series = _LATENCY_SERIES.get((method, route))
    if series is None:
        series = _LATENCY_SERIES[method, route] = LATENCY.labels(method, route)
    return series


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
ASGIApp = Any


class RequestContextMiddleware:
    """Adopt or create `X-Request-ID`, stamp it on logs and problems, echo it, count the request,
    and say how long the service took until it answered (`Server-Timing: app;dur=<ms>`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _REQUEST_ID.match(incoming) else str(uuid7())
        token = set_request_id(request_id)
        # also in the scope: a 500 is answered outside this middleware (Starlette's server-error
        # layer), where the context variable is already reset
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                elapsed_ms = (time.perf_counter() - started) * 1000
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                    (b"server-timing", f"app;dur={elapsed_ms:.1f}".encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            elapsed = time.perf_counter() - started
            _requests(scope["method"], route, status).inc()
            _latency(scope["method"], route).observe(elapsed)
            if log.isEnabledFor(logging.INFO):
                # the route template, never the raw path or query (no personal data in logs)
                log.info(
                    "http.request",
                    extra={
                        "method": scope["method"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            reset_request_id(token)


class IdempotencyMiddleware:
    """Idempotency-Key on POST: same client + key + body → the first response again;
    same key with another body → 422. Responses of 5xx are not kept, so a retry runs again.

    The caller is answered as soon as the response is complete and the record is stored right
    after (on SQLite it queues behind the writers: answering first keeps that wait off every
    keyed request). A retry with the same key that arrives in between — or while the first is
    still running — waits here for the first to finish and is then answered from its record,
    instead of running the request a second time.
    """

    def __init__(self, app: ASGIApp, fastapi_app: Any) -> None:
        self.app, self.fastapi_app = app, fastapi_app
        self._lookup_batcher: Batcher[tuple[str, str], Any] | None = None
        self._store_batcher: Batcher[dict[str, Any], None] | None = None
        # (client, key) of requests between their lookup and their record stored
        self._in_flight: dict[tuple[str, str], asyncio.Event] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        key = headers.get("idempotency-key")
        if not key:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        replay = replaying(body)
        client_id = await self._client_id(headers)
        if client_id is None or len(key) > 200:
            await self.app(scope, replay, send)  # the endpoint answers 401 / the key is ignored
            return
        fingerprint = hashlib.sha256(
            b"\0".join(
                [
                    scope["method"].encode(),
                    scope["path"].encode(),
                    scope.get("query_string", b""),
                    body,
                ]
            )
        ).hexdigest()
        pair = (client_id, key)
        while (first := self._in_flight.get(pair)) is not None:
            await first.wait()
        done = self._in_flight[pair] = asyncio.Event()
        try:
            await self._answer(scope, replay, send, pair, fingerprint)
        finally:
            del self._in_flight[pair]
            done.set()

    async def _answer(
        self,
        scope: dict[str, Any],
        replay: Any,
        send: Any,
        pair: tuple[str, str],
        fingerprint: str,
    ) -> None:
        client_id, key = pair
        record = await self._lookups().submit(pair)
        if record is not None:
            if record.fingerprint != fingerprint:
                await _send_problem(
                    send,
                    InvalidInput(
                        "Idempotency-Key was already used with another request",
                        FieldError(
                            "header.idempotency-key",
                            "idempotency_key_reused",
                            "send a new key for a different request",
                        ),
                    ),
                )
                return
            stored = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in record.headers.items()]
            await send(
                {
                    "type": "http.response.start",
                    "status": record.status,
                    "headers": [*stored, (b"idempotent-replayed", b"true")],
                }
            )
            await send({"type": "http.response.body", "body": record.body})
            return
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": []}

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
            await send(message)

        await self.app(scope, replay, capture)
        if captured["status"] >= 500 or captured["status"] in (401, 429):
            return
        kept = {
            k.decode("latin-1"): v.decode("latin-1")
            for k, v in captured["headers"]
            if k.lower() not in (b"x-request-id", b"content-length", b"date", b"server")
        }
        await self._stores().submit(
            {
                "client_id": client_id,
                "key": key,
                "method": scope["method"],
                "path": scope["path"],
                "fingerprint": fingerprint,
                "status": captured["status"],
                "headers": kept,
                "body": b"".join(captured["body"]),
                "created_at": utcnow(),
            }
        )

    # Concurrent requests share one lookup transaction and one store transaction (group
    # commit, junheng_kit.batching): a keyed POST costs the database a share of two statements
    # instead of two transactions of its own.

    def _lookups(self) -> Batcher[tuple[str, str], Any]:
        if self._lookup_batcher is None:
            self._lookup_batcher = Batcher(self._find, name="idempotency-lookup")
        return self._lookup_batcher

    def _stores(self) -> Batcher[dict[str, Any], None]:
        if self._store_batcher is None:
            self._store_batcher = Batcher(self._store, name="idempotency-store")
        return self._store_batcher

    async def _find(self, wanted: Sequence[tuple[str, str]]) -> list[Any]:
        found: dict[tuple[str, str], Any] = {}
        async with self.fastapi_app.state.sessionmaker() as session:
            # a read: on SQLite it must not queue for the write lock behind other requests
            await session.connection(execution_options={READ_ONLY: True})
            for client_id in {c for c, _ in wanted}:
                rows = await session.execute(
                    select(
                        IdempotencyRecord.key,
                        IdempotencyRecord.fingerprint,
                        IdempotencyRecord.status,
                        IdempotencyRecord.headers,
                        IdempotencyRecord.body,
                    ).where(
                        IdempotencyRecord.client_id == client_id,
                        IdempotencyRecord.key.in_({k for c, k in wanted if c == client_id}),
                    )
                )
                found.update(((client_id, row.key), row) for row in rows)
            await session.rollback()
        return [found.get(pair) for pair in wanted]

    async def _store(self, records: Sequence[dict[str, Any]]) -> list[BaseException | None]:
        try:
            await self._insert(records)
        except Exception as error:
            if len(records) == 1 or is_database_unavailable(error):
                raise
            # one record the database refuses must not cost the others theirs: each alone
            return [await self._store_alone(record) for record in records]
        return [None] * len(records)

    async def _store_alone(self, record: dict[str, Any]) -> BaseException | None:
        try:
            await self._insert([record])
        except Exception as error:  # noqa: BLE001 - that caller hears it, the others don't
            return error
        return None

    async def _insert(self, records: Sequence[dict[str, Any]]) -> None:
        async with self.fastapi_app.state.sessionmaker() as session:
            table = cast(Table, IdempotencyRecord.__table__)
            dialect = session.get_bind().dialect.name
            insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
            # a concurrent twin that stored its response first keeps it
            await session.execute(
                insert(table).on_conflict_do_nothing(index_elements=["client_id", "key"]),
                list(records),
            )
            await session.commit()

    async def _client_id(self, headers: dict[str, str]) -> str | None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            principal = await self.fastapi_app.state.token_verifier.verify(token.strip())
        except DomainError:
            return None
        return str(principal.client_id)


async def read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def replaying(body: bytes) -> Any:
    done = False

    async def receive() -> dict[str, Any]:
        nonlocal done
        if done:
            await asyncio.Event().wait()  # no disconnect mid-request: the body is complete
        done = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _send_problem(send: Any, error: DomainError) -> None:
    body = json.dumps(
        problem_body(error.status, error.slug, error.title, error.detail, error.errors),
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
