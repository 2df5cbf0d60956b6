"""The service app factory: every Junheng service is built the same way.

`build_service_app` wires problem+json, request ids, idempotency, health/ready/metrics and a
lifespan that opens the database, connects to NATS (when configured), declares streams and
buckets, starts the outbox relay, the consumers (and the reading of their dead-letter depth)
and the gateway bridge, and closes all of it.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from collections.abc import AsyncIterator, Collection, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from junheng_contracts import STREAMS
from junheng_kit import fieldcrypt
from junheng_kit.audit import AuditMiddleware, Auditor, AuditStore
from junheng_kit.audit.router import router as audit_router
from junheng_kit.audit.tables import AuditArchive, AuditEntry, AuditHead
from junheng_kit.auth import TokenVerifier, jwks_from_text, nats_kv_jwks_source
from junheng_kit.bridge import BridgeServer
from junheng_kit.changes import changes_router
from junheng_kit.classification import with_classes
from junheng_kit.conditional import ConditionalGetMiddleware
from junheng_kit.db import create_sessionmaker, open_engine
from junheng_kit.declared_inputs import DECLARED_INPUTS
from junheng_kit.fast_routes import FastHandler, FastRoutes
from junheng_kit.idempotency import Sweeper
from junheng_kit.messaging.connection import (
    JetStreamSetup,
    connect_with,
    ensure_service_assets,
)
from junheng_kit.messaging.consumer import ConsumerRunner, Subscriptions
from junheng_kit.messaging.dead_letters import DeadLetterDepth
from junheng_kit.messaging.outbox import OutboxRelay
from junheng_kit.metrics_port import start_metrics_listener
from junheng_kit.middleware import IdempotencyMiddleware, RequestContextMiddleware
from junheng_kit.openapi_docs import operation_id as operation_id  # re-exported
from junheng_kit.openapi_docs import with_operation_docs
from junheng_kit.problems import Problem, document_problem_responses, install_problem_handlers
from junheng_kit.readiness import overall, readiness_checks, run_checks
from junheng_kit.settings import ServiceSettings
from junheng_kit.timeutil import current_shift
from junheng_kit.trust import parse_roots

log = logging.getLogger("junheng.app")

# metrics are Prometheus (/metrics), logs JSON lines: FastAPI's native OpenTelemetry would only
# ask the global providers on every request whether someone configured them
NO_OPENTELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def static_jwks(settings: ServiceSettings) -> dict[str, Any] | None:
    value = settings.jwks_json.strip()
    if value.startswith("@"):
        value = Path(value[1:]).read_text()
    return jwks_from_text(value)


def health_router(*, metrics: bool = True) -> APIRouter:
    """/healthz, /readyz and (unless `metrics` is false: it has a port of its own) /metrics."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: database and NATS reachable; degraded when dead letters wait",
        responses={
            200: {"description": "ready, or degraded: serving while dead letters wait"},
            503: {"description": "not ready: the database or NATS is unreachable"},
        },
    )
    async def readyz(request: Request) -> JSONResponse:
        """Each check by name: `{"status": "ready", "checks": {"database": "ok", "nats": "ok",
        "dead_letters": "ok"}}`. A failed check (database, NATS) answers 503 `not-ready` and
        takes the replica out of load balancing. Dead letters answer 200 `degraded` naming each
        durable and its count (`"dead_letters": {"evaluation-seats": 3}`): a replica with dead
        letters serves as well as the others (the depth is the same for all of them), so it
        must keep its traffic; the letters wait for an operator (`python -m junheng_kit.dlq`)."""
        results = await run_checks(request.app)
        status, code = overall(results)
        checks = {name: result.shown for name, result in results.items()}
        return JSONResponse({"status": status, "checks": checks}, status_code=code)

    if metrics:

        @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
        async def metrics_text() -> Response:
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def _connected_js(app: FastAPI) -> Any:
    """JetStream while NATS is connected, else None: the key source then answers at once
    instead of waiting for a request timeout on every refresh."""
    nc = app.state.nats
    return app.state.js if nc is not None and nc.is_connected else None


def settle_garbage_collector() -> None:
    """Move everything alive after start-up (modules, app, pools) out of the collector's sight.

    Large requests allocate tens of thousands of objects; without this every full collection
    walks all of start-up's objects again (docs/performance.md).
    """
    gc.collect()
    gc.freeze()


async def _bounded(
    step: str, stopping: Coroutine[Any, Any, None] | None, timeout: float = 5.0
) -> None:
    """Run one shutdown step; a step that hangs is logged and abandoned, never blocks exit."""
    if stopping is None:
        return
    try:
        await asyncio.wait_for(stopping, timeout)
    except TimeoutError:
        log.warning("service.shutdown_step_timed_out", extra={"step": step})


# how long start-up waits for NATS and JetStream before the process serves HTTP with set-up
# still being retried in the background (/readyz says what it waits for)
STARTUP_WAIT_S = 10.0


@dataclass
class _Messaging:
    """What a service runs on NATS, made once it is connected (shut down in reverse)."""

    relay: OutboxRelay | None = None
    consumers: ConsumerRunner | None = None
    dead_letters: DeadLetterDepth | None = None
    bridge: BridgeServer | None = None

    async def stop(self, app: FastAPI) -> None:
        await _bounded("bridge", self.bridge.stop() if self.bridge else None)
        await _bounded("consumers", self.consumers.stop() if self.consumers else None)
        if self.dead_letters is not None:
            readiness_checks(app).pop("dead_letters", None)
            await _bounded("dead letters", self.dead_letters.stop())
        await _bounded("relay", self.relay.stop() if self.relay else None)
        nc = app.state.nats
        if nc is not None:
            # replies, events and acks are already finished above: flush what is written and
            # close (drain would wait on the pull subscriptions' internal queues)
            if nc.is_connected:
                await _bounded("nats", nc.flush(timeout=2))
            if not nc.is_closed:
                await _bounded("nats", nc.close())


async def _start_messaging(
    app: FastAPI,
    settings: ServiceSettings,
    subscriptions: Subscriptions,
    setup: JetStreamSetup,
    parts: _Messaging,
) -> None:
    """In the background of start-up, so that neither an unreachable NATS nor a JetStream
    electing its leader ends or hangs the process (it answers /healthz, and a SIGTERM stops it;
    /readyz says what it waits for): connect (retried until a node answers), set up what the
    service owns on JetStream (retried with backoff), then start the relay, the consumers (each
    durable binds once its producer's stream exists), the reading of the dead-letter depth and
    the bridge."""
    nc = await connect_with(settings)
    js = nc.jetstream()
    app.state.nats, app.state.js = nc, js
    parts.relay = app.state.relay = OutboxRelay(
        app.state.sessionmaker, js, poll_seconds=settings.outbox_poll_seconds
    )
    parts.consumers = app.state.consumers = ConsumerRunner(
        settings.service_name,
        subscriptions,
        app.state.sessionmaker,
        js,
        max_deliver=settings.consumer_max_deliver,
        on_committed=parts.relay.wake,
        batch=settings.consumer_batch,
    )
    if subscriptions.entries:
        parts.dead_letters = DeadLetterDepth(
            js,
            settings.service_name,
            subscriptions.durables(),
            refresh_seconds=settings.dead_letter_refresh_seconds,
        )
        readiness_checks(app)["dead_letters"] = parts.dead_letters.readiness
        readiness_checks(app)["consumers"] = parts.consumers.readiness
    parts.bridge = BridgeServer(
        app, nc, js, settings.service_name, concurrency=settings.bridge_concurrency
    )
    await setup.run()
    parts.relay.start()
    await parts.consumers.start()
    if parts.dead_letters is not None:
        await parts.dead_letters.start()
    await parts.bridge.start()


def configure_field_keys(settings: ServiceSettings) -> None:
    """The process's field keyring (junheng_kit.fieldcrypt), when the settings carry one."""
    if settings.field_keys is not None and settings.blind_index_key is not None:
        fieldcrypt.configure(
            settings.field_keys.get_secret_value(), settings.blind_index_key.get_secret_value()
        )


def build_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    subscriptions: Subscriptions | None = None,
    version: str = "0.1.0",
    fast_routes: Mapping[tuple[str, str], FastHandler] | None = None,
    claims_within: Collection[tuple[str, str]] = (),
    tags: Mapping[str, str] | None = None,
) -> FastAPI:
    """`fast_routes`: (method, path) → a handler that answers the common case of a hot
    endpoint without FastAPI's per-request machinery (junheng_kit.fast_routes).
    `claims_within`: (method, path) of routes whose use-case runs by group commit and claims
    Idempotency-Keys in its own transaction (junheng_kit.group_commit).
    `tags`: the service's operation tags (no spaces) → a description in Chinese and English;
    the kit's own (`operations`, `schools`) are added."""
    subscriptions = subscriptions or Subscriptions()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_field_keys(settings)
        engine = await open_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.nats = None
        app.state.js = None
        app.state.token_verifier = TokenVerifier(
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            static_jwks=static_jwks(settings),
            source=nats_kv_jwks_source(lambda: _connected_js(app)) if settings.nats_url else None,
            max_key_age_s=settings.jwks_max_age_seconds,
            trust_roots=parse_roots(settings.trust_root_keys) if settings.trust_root_keys else None,
        )
        parts = _Messaging()
        started: asyncio.Task[None] | None = None
        if settings.nats_url:
            setup = JetStreamSetup(
                lambda: ensure_service_assets(
                    app.state.js, settings.service_name, settings.stream_replicas
                ),
                name=settings.service_name,
            )
            app.state.jetstream_setup = setup
            readiness_checks(app)["jetstream"] = setup.readiness
            started = asyncio.create_task(
                _start_messaging(app, settings, subscriptions, setup, parts), name="messaging"
            )
            await asyncio.wait({started}, timeout=STARTUP_WAIT_S)  # then in the background
        app.state.metrics_listener = start_metrics_listener(settings)
        sweeper = app.state.idempotency_sweeper = Sweeper(
            app.state.sessionmaker,
            timedelta(hours=settings.idempotency_retention_hours),
            settings.idempotency_sweep_seconds,
        ).start()
        auditor = app.state.auditor = Auditor(
            KIT_AUDIT,
            app.state,
            enabled=settings.audit == "on",
            chain_seconds=settings.audit_chain_seconds,
            background=settings.environment != "test",
            retention_days=settings.audit_retention_days,
            archive_dir=settings.audit_archive_dir,
            service=settings.service_name,
            archive_seconds=settings.audit_archive_seconds,
            # under JUNHENG_ENV=test requests share one connection (rolled back after each
            # test): no write beside them
            durable=settings.audit_durable or settings.environment == "test",
        ).start()
        settle_garbage_collector()
        current_shift()  # a JUNHENG_CLOCK_AT (dev/test only) is read and logged now, not later
        log.info("service.started", extra={"service": settings.service_name})
        try:
            yield
        finally:
            if started is not None and not started.done():
                started.cancel()
                await asyncio.wait({started}, timeout=5)
            await parts.stop(app)
            await auditor.stop()
            await sweeper.stop()
            await engine.dispose()
            if app.state.metrics_listener is not None:
                app.state.metrics_listener.stop()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        separate_input_output_schemas=False,
        telemetry=NO_OPENTELEMETRY,
        dependencies=[DECLARED_INPUTS],  # unknown query parameters 422, other bodies 415
        generate_unique_id_function=operation_id,
        openapi_tags=[
            {"name": name, "description": text}
            for name, text in {**KIT_TAGS, **(tags or {})}.items()
        ],
    )
    app.state.settings = settings
    app.state.relay = None
    app.state.metrics_listener = None
    app.state.jetstream_setup = None
    app.state.consumers = None
    app.state.auditor = None
    install_problem_handlers(app)
    app.include_router(health_router(metrics=settings.serves_metrics_on_http_port()))
    app.include_router(audit_router)
    for router in routers:
        app.include_router(router)
    if f"{settings.service_name}.>" in STREAMS.values():  # a producer: its change feed
        app.include_router(changes_router(settings.service_name))
    # added innermost first: request id → Idempotency-Key → conditional GET → audit → fast
    # routes → FastAPI
    if fast_routes:
        app.add_middleware(FastRoutes, fastapi_app=app, routes=fast_routes)
    app.add_middleware(AuditMiddleware, fastapi_app=app)
    app.add_middleware(ConditionalGetMiddleware)
    app.add_middleware(IdempotencyMiddleware, fastapi_app=app, claims_within=claims_within)
    app.add_middleware(RequestContextMiddleware)
    _register_problem_schema(app)
    return app


KIT_AUDIT = AuditStore(AuditEntry, AuditHead, AuditArchive)  # the kit's audit tables

KIT_TAGS = {
    "operations": "运行状态：存活、就绪与指标（无需令牌）。Health, readiness and metrics "
    "(no token).",
    "changes": "变更订阅：按顺序、按辖区读取本服务发布的事件（游标分页）。The change feed: the "
    "events this service published, in order, for the caller's jurisdiction (cursor-paged).",
    "audit": "审计记录：个人信息的读取、查询、导出、导入与管理操作，哈希链防篡改（需 audit:read）。"
    "The audit trail: reads, searches, exports and imports of personal data and "
    "administrative acts, hash-chained (scope audit:read).",
    "schools": "学校名录（本服务的副本，来自招生服务的学校登记事件）。The school directory: this "
    "service's copy of the registry, kept from enrollment's school events.",
}


RESERVED_HEADERS = frozenset({"accept", "content-type", "authorization"})


def without_reserved_header_parameters(document: dict[str, Any]) -> dict[str, Any]:
    """Drop header parameters that OpenAPI says SHALL be ignored (Accept, Content-Type,
    Authorization): endpoints read them as `Header()` arguments, but a client generated from the
    document (or a fuzzer) must take them from the request body's media type, the documented
    responses and the security scheme instead."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "parameters" not in operation:
                continue
            kept = [
                p
                for p in operation["parameters"]
                if not (p.get("in") == "header" and p.get("name", "").lower() in RESERVED_HEADERS)
            ]
            if kept:
                operation["parameters"] = kept
            else:
                del operation["parameters"]
    return document


def with_raw_answers_typed(document: dict[str, Any]) -> dict[str, Any]:
    """Give every non-JSON answer a schema generators understand: text (`text/csv`,
    `text/html`) is a string, anything else (PDF, XLSX) `format: binary` — a client generated
    from the document then returns bytes instead of skipping the operation."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for answer in operation.get("responses", {}).values():
                for media_type, content in answer.get("content", {}).items():
                    if media_type.endswith("json"):
                        continue
                    if media_type.startswith("text/"):
                        content["schema"] = {"type": "string"}
                    else:
                        content["schema"] = {"type": "string", "format": "binary"}
    return document


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "幂等键: the same key with the same body, from the same client, gets the first "
    "answer again (`Idempotent-Replayed: true`) on any replica — never two effects; with another "
    "body it is 422 `idempotency_key_reused`; while the first still runs elsewhere, 409 "
    "`idempotency_in_progress` with Retry-After",
    "schema": {"type": "string", "maxLength": 200},
}


def with_idempotency_keys(document: dict[str, Any]) -> dict[str, Any]:
    """Document the `Idempotency-Key` header every POST takes (junheng_kit.idempotency)."""
    for item in document.get("paths", {}).values():
        operation = item.get("post")
        if not isinstance(operation, dict):
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == "Idempotency-Key" for p in parameters):
            parameters.append(IDEMPOTENCY_KEY)
    return document


def _register_problem_schema(app: FastAPI) -> None:
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = document_problem_responses(
            with_idempotency_keys(
                with_raw_answers_typed(without_reserved_header_parameters(original()))
            )
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault(
            "Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        for name, sub in (
            Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            .get("$defs", {})
            .items()
        ):
            components.setdefault(name, sub)
        components["Problem"].pop("$defs", None)
        with_operation_docs(schema, app, app.state.settings.service_name)
        with_classes(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def dump_openapi(app: FastAPI) -> str:
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False, sort_keys=True)
