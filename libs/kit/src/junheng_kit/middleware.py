"""Pure ASGI middleware: request id + access metrics, and Idempotency-Key replay for POST."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Collection
from typing import Any

from prometheus_client import Counter, Histogram

from junheng_kit.batching import Batcher
from junheng_kit.context import reset_request_id, set_request_id
from junheng_kit.db import is_database_unavailable, wants_relay
from junheng_kit.i18n import (
    reset_accept_language,
    reset_answer_languages,
    set_accept_language,
    t,
    track_answer_languages,
)
from junheng_kit.idempotency import (
    CLAIM_STATE,
    LEASE_SECONDS,
    Claim,
    ClaimLost,
    ClaimStore,
    Outcome,
    Renewal,
    Wanted,
    fingerprint,
    in_progress,
)
from junheng_kit.ids import uuid7
from junheng_kit.integrity import problem_for_concurrent_update, problem_for_integrity_error
from junheng_kit.problems import (
    DomainError,
    FieldError,
    InvalidInput,
    ServiceUnavailable,
    send_problem,
)

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


def with_language(headers: list[tuple[bytes, bytes]], language: str) -> list[tuple[bytes, bytes]]:
    """An answer's headers saying its texts are in `language` and chosen by Accept-Language
    (unless they say so already, as a problem does)."""
    if any(name == b"content-language" for name, _ in headers):
        return headers
    out = [*headers, (b"content-language", language.encode())]
    for index, (name, value) in enumerate(out):
        if name == b"vary":
            out[index] = (name, value + b", Accept-Language")
            return out
    return [*out, (b"vary", b"Accept-Language")]


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
        accept_language: str | None = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
            elif name == b"accept-language":
                accept_language = value.decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else str(uuid7())
        token = set_request_id(request_id)
        language_token = set_accept_language(accept_language)  # problems answer in it
        answers_token, answer_languages = track_answer_languages()
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
                if answer_languages:
                    message["headers"] = with_language(
                        message.get("headers", []), answer_languages[0]
                    )
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
            reset_accept_language(language_token)
            reset_answer_languages(answers_token)


class IdempotencyMiddleware:
    """Idempotency-Key on POST, across replicas and crashes (junheng_kit.idempotency).

    Same client + key + body → the first answer again, on any replica; the same key with
    another body → 422 `idempotency_key_reused`; a same-key request while the first still runs
    → on this replica it waits for the first and replays its answer, on another 409
    `idempotency_in_progress` with `Retry-After`. The key is claimed in the database before the
    request runs; the request's answer is written into the claim in the same transaction as its
    effect: the session the request used is committed here, after the answer is complete and
    before it is sent. Answers of 5xx (and 401, 429) are not kept: the claim is released and a
    retry runs again.

    Routes in `claims_within` ((method, path) pairs) run their use-case by group commit, which
    claims the key in the effect's own transaction (`junheng_kit.group_commit`): the middleware
    does not claim beforehand, and answers from what that claim found (`Claim.outcome`). A
    request refused before its use-case ran (a body that does not validate) is claimed after it,
    and its answer stored as usual.
    """

    def __init__(
        self,
        app: ASGIApp,
        fastapi_app: Any,
        claims_within: Collection[tuple[str, str]] = (),
    ) -> None:
        self.app, self.fastapi_app = app, fastapi_app
        self.claims_within = frozenset(claims_within)
        self._store: ClaimStore | None = None
        self._claim_batcher: Batcher[Wanted, Outcome] | None = None
        self._answer_batcher: Batcher[tuple[Claim, int, dict[str, str], bytes], None] | None = None
        # (client, key) of requests on this replica between their claim and their answer
        self._in_flight: dict[tuple[str, str], asyncio.Event] = {}

    @property
    def store(self) -> ClaimStore:
        sessionmaker = self.fastapi_app.state.sessionmaker  # tests swap it for a savepoint one
        if self._store is None or self._store.sessionmaker is not sessionmaker:
            settings = self.fastapi_app.state.settings
            self._store = ClaimStore(
                sessionmaker,
                getattr(settings, "idempotency_lease_seconds", LEASE_SECONDS),
            )
            self._claim_batcher = Batcher(self._store.claim, name="idempotency-claim")
            self._answer_batcher = Batcher(self._store.answer, name="idempotency-answer")
        return self._store

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key = ""
        authorization = ""
        for name, value in scope["headers"]:
            if name == b"idempotency-key":
                key = value.decode("latin-1")
            elif name == b"authorization":
                authorization = value.decode("latin-1")
        if not key:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        replay = replaying(body)
        client_id = await self._client_id(authorization)
        if client_id is None or len(key) > 200:
            await self.app(scope, replay, send)  # the endpoint answers 401 / the key is ignored
            return
        claim = Claim(
            client_id,
            key,
            scope["method"],
            scope["path"],
            fingerprint(scope["method"], scope["path"], scope.get("query_string", b""), body),
            lease=self.store.lease,
        )
        pair = (client_id, key)
        while (first := self._in_flight.get(pair)) is not None:
            await first.wait()  # the first on this replica: wait, then be answered from it
        done = self._in_flight[pair] = asyncio.Event()
        try:
            await self._answer(scope, replay, send, claim)
        finally:
            del self._in_flight[pair]
            done.set()

    async def _answer(self, scope: dict[str, Any], replay: Any, send: Any, claim: Claim) -> None:
        store = self.store
        assert self._claim_batcher is not None
        if (scope["method"], scope["path"]) in self.claims_within:
            claim.deferred = True
        else:
            outcome = await self._claim_batcher.submit(Wanted(claim))
            if await self._answered(send, outcome):
                return
            if outcome.kind == "unclaimed":  # the database refused the claim: as without a key
                await self.app(scope, replay, send)
                return
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": []}

        async def capture(message: dict[str, Any]) -> None:  # held until the claim completes
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))

        scope.setdefault("state", {})[CLAIM_STATE] = claim
        try:
            with Renewal(store, claim):
                await self.app(scope, replay, capture)
        except BaseException:
            await self._abandon(claim)
            raise
        status = int(captured["status"])
        headers = captured["headers"]
        body = b"".join(captured["body"])
        if claim.deferred:
            if claim.outcome is None:  # refused before its use-case claimed: claim it now
                if await self._answered(send, await self._claim_batcher.submit(Wanted(claim))):
                    return
            elif await self._answered(send, claim.outcome):
                return
        kept = {
            k.decode("latin-1"): v.decode("latin-1")
            for k, v in headers
            if k.lower() not in (b"x-request-id", b"content-length", b"date", b"server")
        }
        keep = status < 500 and status not in (401, 429)
        if claim.session is not None:  # the request's transaction, still open: commit it here
            problem = await self._commit(claim, status, kept, body, keep=keep)
            if problem is not None:
                await send_problem(send, problem)
                return
        elif claim.completed:  # its use-case wrote the answer in its own transaction
            pass
        elif keep:  # nothing of the request's committed with the claim (a 4xx, no session)
            assert self._answer_batcher is not None
            await self._answer_batcher.submit((claim, status, kept, body))
        else:
            await self._release(claim)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _answered(self, send: Any, outcome: Outcome) -> bool:
        """Send the answer an outcome other than a claim of one's own calls for (the first
        answer again, the key reused, in progress); False when the request is this claim's to
        run (or, `unclaimed`, to run without one)."""
        if outcome.kind == "reused":
            await send_problem(
                send,
                InvalidInput(
                    t(
                        "此 Idempotency-Key 已用于另一个请求",
                        "Idempotency-Key was already used with another request",
                    ),
                    FieldError(
                        "header.idempotency-key",
                        "idempotency_key_reused",
                        t("不同的请求请使用新的幂等键", "send a new key for a different request"),
                    ),
                ),
            )
            return True
        if outcome.kind == "in_progress":
            await send_problem(send, in_progress(outcome.retry_after))
            return True
        if outcome.kind == "replay":
            record = outcome.record
            stored = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in record.headers.items()]
            await send(
                {
                    "type": "http.response.start",
                    "status": record.status,
                    "headers": [*stored, (b"idempotent-replayed", b"true")],
                }
            )
            await send({"type": "http.response.body", "body": record.body})
            return True
        return False

    async def _commit(
        self, claim: Claim, status: int, headers: dict[str, str], body: bytes, *, keep: bool
    ) -> DomainError | None:
        """Commit the request's session with its answer in the claim; the problem to answer
        instead when that fails (the effect then did not happen)."""
        session = claim.session
        assert session is not None
        claim.session = None
        try:
            if keep:
                await claim.complete(session, status, headers, body)
            await session.commit()
        except ClaimLost:
            await session.rollback()
            return in_progress()
        except Exception as error:
            await session.rollback()
            await self._release(claim)
            mapped = problem_for_integrity_error(error) or problem_for_concurrent_update(error)
            if mapped is not None:
                return mapped
            if is_database_unavailable(error):
                return ServiceUnavailable(
                    t(
                        "数据库无法连接，未记录任何内容，请重试",
                        "the database is not reachable; nothing was recorded: retry",
                    ),
                    headers={"Retry-After": "1"},
                )
            raise
        finally:
            await session.close()
        if not keep:
            await self._release(claim)
        if wants_relay(session) and self.fastapi_app.state.relay is not None:
            self.fastapi_app.state.relay.wake()
        return None

    async def _abandon(self, claim: Claim) -> None:
        if claim.session is not None:
            session, claim.session = claim.session, None
            await session.rollback()
            await session.close()
        await self._release(claim)

    async def _release(self, claim: Claim) -> None:
        try:
            await self.store.release(claim)
        except Exception:
            log.warning("idempotency.release_failed", exc_info=True)

    async def _client_id(self, authorization: str) -> str | None:
        scheme, _, token = authorization.partition(" ")
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
