"""The connector: signed HTTP calls to partner agencies, with timeouts, retries, a breaker.

One connector per process and service (created in the app lifespan by `install_connector`);
its breakers and health counters are per process: replicas each learn an agency is down on
their own, and uptime counts from the process start.

Retries (with exponential backoff and full jitter) only on timeouts, connection errors and 5xx:
a 4xx is the agency refusing our request and would be refused again. A call that still fails
counts once towards the breaker.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar

import httpx
from fastapi import FastAPI

from junheng_kit.agency import protocol as rules
from junheng_kit.agency.protocol import AnswerProblem, BreakerState, CircuitBreaker
from junheng_kit.signing import (
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    PublicKey,
    Signer,
    canonical_json,
    ensure_private_key,
    load_signer,
)
from junheng_kit.timeutil import real_utcnow

Status = Literal["verified", "unavailable", "refused"]


class AgencyEndpoint(Protocol):
    """What the connector needs of one configured agency (each service's config model)."""

    @property
    def code(self) -> str: ...
    @property
    def base_url(self) -> str: ...
    @property
    def timeout_seconds(self) -> float: ...
    @property
    def key(self) -> PublicKey: ...
    @property
    def key_id(self) -> str: ...


_jitter = random.SystemRandom()


# reply details are stored (the ledger, a lookup's results) and read by clerks: both languages
BREAKER_OPEN = "熔断中，未调用 / circuit breaker open"


@dataclass(frozen=True, slots=True)
class AgencyReply:
    """What one call produced: a verified body, an agency that could not be reached, or an
    answer refused (bad signature, or not an answer to this request)."""

    agency: str
    status: Status
    body: dict[str, Any] | None = None
    detail: str = ""
    rule: AnswerProblem | None = None
    attempts: int = 0


@dataclass
class AgencyHealth:
    started_at: datetime
    calls: int = 0
    failures: int = 0
    answered: int = 0
    matched: int = 0
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=2000))

    def snapshot(self, breaker: CircuitBreaker, now: datetime) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        return {
            "started_at": self.started_at,
            "uptime_seconds": round((now - self.started_at).total_seconds(), 1),
            "calls": self.calls,
            "failures": self.failures,
            "latency_p50_ms": rules.percentile(ordered, 0.5),
            "latency_p95_ms": rules.percentile(ordered, 0.95),
            "match_rate": round(self.matched / self.answered, 4) if self.answered else None,
            "breaker": breaker.state.value,
        }


Config = TypeVar("Config", bound=AgencyEndpoint)


class AgencyConnector(Generic[Config]):
    """Signed POSTs to the configured agencies; answers checked against each pinned key."""

    def __init__(
        self,
        agencies: list[Config],
        signer: Signer | None,
        *,
        requester: str = "junheng-assistance",
        retries: int = 2,
        backoff_seconds: float = 0.1,
        breaker_failures: int = 5,
        breaker_reset_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.agencies = {a.code: a for a in agencies}
        self.signer = signer
        self.requester = requester
        self.retries, self.backoff_seconds = retries, backoff_seconds
        self.clock = clock
        now = real_utcnow()  # uptime is the process's, on the machine's clock
        self.breakers = {
            a.code: CircuitBreaker(breaker_failures, breaker_reset_seconds) for a in agencies
        }
        self.health = {a.code: AgencyHealth(started_at=now) for a in agencies}
        self.client = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20)
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    def configured(self, code: str) -> Config | None:
        return self.agencies.get(code)

    def health_of(self, code: str) -> dict[str, Any]:
        return self.health[code].snapshot(self.breakers[code], real_utcnow())

    def breaker_state(self, code: str) -> BreakerState:
        return self.breakers[code].state

    async def request_assertion(
        self,
        code: str,
        payload: dict[str, Any],
        *,
        citizen_id: str,
        path: str = "/v1/assertions",
        lists: tuple[str, ...] = ("categories",),
    ) -> AgencyReply:
        """POST one person's lookup to one agency; the reply is verified against the pinned key
        and must answer this request about this person (`rules.check_assertion`)."""
        agency = self.agencies[code]
        reply = await self._call(agency, path, payload)
        if reply.status != "verified" or reply.body is None:
            return reply
        problem = rules.check_assertion(
            reply.body,
            agency=code,
            public_key=agency.key,
            key_id=agency.key_id,
            request_id=str(payload["request_id"]),
            subject=rules.subject_sha256(citizen_id),
            lists=lists,
        )
        if problem is not None:
            self.health[code].failures += 1
            return AgencyReply(code, "refused", None, problem[1], problem[0], reply.attempts)
        health = self.health[code]
        health.answered += 1
        health.matched += bool(reply.body["assertion"].get("matched"))
        return reply

    async def request_category_list(
        self, code: str, payload: dict[str, Any], *, region_code: str
    ) -> AgencyReply:
        """POST /v1/category-lists; the header's signature and the entries' hash are checked."""
        return await self.request_signed_list(
            code, "/v1/category-lists", payload, bound={"region_code": region_code}
        )

    async def request_signed_list(
        self, code: str, path: str, payload: dict[str, Any], *, bound: dict[str, Any]
    ) -> AgencyReply:
        """POST for a signed list (a region's list, a batch's answers): the header's signature,
        the entries' hash and the `bound` header values are checked."""
        agency = self.agencies[code]
        reply = await self._call(agency, path, payload)
        if reply.status != "verified" or reply.body is None:
            return reply
        problem = rules.check_signed_list(
            reply.body,
            agency=code,
            public_key=agency.key,
            key_id=agency.key_id,
            bound=bound,
        )
        if problem is not None:
            self.health[code].failures += 1
            return AgencyReply(code, "refused", None, problem[1], problem[0], reply.attempts)
        return reply

    def new_request(self, **fields: Any) -> dict[str, Any]:
        """The common fields every request carries: a fresh id, the requester, the time."""
        return {
            "requester": self.requester,
            # the machine's time, never the shifted clock: the agency checks it against its own
            "requested_at": real_utcnow().isoformat(timespec="seconds"),
            **fields,
        }

    async def call(self, code: str, path: str, payload: dict[str, Any]) -> AgencyReply:
        """POST a signed body to one agency; the body as parsed, not yet checked."""
        return await self._call(self.agencies[code], path, payload)

    async def _call(self, agency: Config, path: str, payload: dict[str, Any]) -> AgencyReply:
        code = agency.code
        breaker, health = self.breakers[code], self.health[code]
        if self.signer is None:
            return AgencyReply(
                code, "unavailable", detail="未配置签名密钥 / no signing key configured"
            )
        if not breaker.allow(self.clock()):
            return AgencyReply(code, "unavailable", detail=BREAKER_OPEN)
        body = canonical_json(payload)
        headers = {
            "Content-Type": "application/json",
            KEY_ID_HEADER: self.signer.key_id,
            SIGNATURE_HEADER: self.signer.sign(body),
        }
        health.calls += 1
        detail = ""
        attempt = 0
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(
                    rules.backoff_seconds(attempt - 1, self.backoff_seconds, _jitter.random())
                )
            started = time.perf_counter()
            try:
                response = await self.client.post(
                    agency.base_url.rstrip("/") + path,
                    content=body,
                    headers=headers,
                    timeout=agency.timeout_seconds,
                )
            except httpx.TimeoutException:
                waited = agency.timeout_seconds
                detail = f"{waited} 秒内未应答 / timed out after {waited} s"
                continue
            except httpx.TransportError as exc:
                detail = f"连接失败 / connection failed: {type(exc).__name__}"
                continue
            health.latencies_ms.append((time.perf_counter() - started) * 1000)
            if response.status_code >= 500:
                detail = f"部门应答 {response.status_code} / agency answered {response.status_code}"
                continue
            if response.status_code != 200:
                # the agency refused our request: retrying would not change its mind
                detail = (
                    f"部门拒绝了请求 / agency refused the request: {response.status_code} "
                    f"{response.text[:200]}"
                )
                break
            try:
                parsed = response.json()
            except ValueError:
                detail = "部门答复不是 JSON / agency answer is not JSON"
                break
            breaker.record_success()
            return AgencyReply(code, "verified", parsed, attempts=attempt + 1)
        health.failures += 1
        breaker.record_failure(self.clock())
        return AgencyReply(code, "unavailable", detail=detail, attempts=attempt + 1)


class AgencyKeyMissing(RuntimeError):
    """Outside JUNHENG_ENV=dev the bureau's agency key is provisioned, never generated."""


def bureau_signer(path: Path, *, environment: str, setting: str) -> Signer:
    """The bureau's request-signing key: read, or generated under JUNHENG_ENV=dev only."""
    if path.exists():
        return load_signer(path)
    if environment == "dev":
        return ensure_private_key(path)
    raise AgencyKeyMissing(
        f"agency signing key {path} not found ({setting}); it is generated only with "
        "JUNHENG_ENV=dev"
    )


def install_connector(
    app: FastAPI, factory: Callable[[], AgencyConnector[Any]], *, name: str = "agency_connector"
) -> None:
    """Open the connector in the app's lifespan (`app.state.<name>`), close it after."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with inner(app):
            connector = factory()
            setattr(app.state, name, connector)
            try:
                yield
            finally:
                await connector.aclose()

    app.router.lifespan_context = lifespan
