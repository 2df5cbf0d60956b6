"""The gateway: OAuth2 tokens, routing to the services over NATS, limits, merged OpenAPI."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.cors import CORSMiddleware

from gateway.audit import acts
from gateway.audit.family import router as family_router
from gateway.auth import keys
from gateway.auth.endpoints import router as auth_router
from gateway.export import router as export_router
from gateway.limits.rules import Policy
from gateway.limits.shared import SharedLimiter
from gateway.limits.token_throttle import (
    ADDRESSES_POLICY,
    FAILURES_POLICY,
    TokenThrottle,
    per_minute,
)
from gateway.openapi.endpoints import MergedDocument
from gateway.openapi.endpoints import router as openapi_router
from gateway.routing.proxy import ServiceRouter
from gateway.settings import GatewaySettings
from gateway.webhooks.delivery import DeliveryWorker
from gateway.webhooks.endpoints import router as webhooks_router
from gateway.webhooks.fanout import Fanout
from gateway.webhooks.sealing import SecretBox
from junheng_kit.app import (
    KIT_AUDIT,
    NO_OPENTELEMETRY,
    STARTUP_WAIT_S,
    health_router,
    operation_id,
    settle_garbage_collector,
)
from junheng_kit.audit import AuditMiddleware, Auditor
from junheng_kit.audit.router import router as audit_router
from junheng_kit.auth import JWKS_KEY, KEYS_BUCKET, TokenVerifier
from junheng_kit.bridge import BridgeClient
from junheng_kit.conditional import ConditionalGetMiddleware
from junheng_kit.db import create_sessionmaker, open_engine
from junheng_kit.declared_inputs import DECLARED_INPUTS
from junheng_kit.messaging.connection import JetStreamSetup, connect_with, ensure_buckets
from junheng_kit.metrics_port import start_metrics_listener
from junheng_kit.middleware import RequestContextMiddleware
from junheng_kit.problems import install_problem_handlers
from junheng_kit.readiness import Readiness, readiness_checks

log = logging.getLogger("gateway.app")

DESCRIPTION = """均衡 Junheng: one API over the enrollment, staffing, assistance and evaluation
services.

Get a token with OAuth2 client credentials (`POST /oauth/token`), then call
`/{service}/v1/…` with `Authorization: Bearer <token>`. Errors are RFC 9457
`application/problem+json`; `X-Request-ID` is echoed (send your own to correlate)."""


async def _connect(app: FastAPI, settings: GatewaySettings) -> None:
    """In the background of start-up: an unreachable NATS neither ends nor hangs the gateway
    (it answers /healthz, 503 to forwarded requests, and stops on SIGTERM). Connect (retried
    until a node answers), forward from then on, share the rate limits, and publish the keys."""
    nc = await connect_with(settings)
    js = nc.jetstream()
    app.state.nats, app.state.js = nc, js
    app.state.bridge = BridgeClient(nc, js)
    # webhooks: events of every producer's stream → deliveries, then this replica's worker
    app.state.webhook_fanout = Fanout(
        nc, js, app.state.sessionmaker, worker=app.state.webhook_worker
    )
    app.state.webhook_fanout.start()
    await app.state.rate_limiter.start(nc, replicas=settings.stream_replicas)
    await app.state.jetstream_setup.run()


async def _webhooks_ready(app: FastAPI) -> Readiness:
    """`/readyz` check `webhooks`: degraded while the fan-out waits for NATS or a producer's
    stream (the gateway serves meanwhile; the events wait in the streams)."""
    fanout: Fanout | None = app.state.webhook_fanout
    if fanout is None:
        return Readiness("degraded", {"waiting_for": "nats"})
    return await fanout.readiness(app)


async def _publish_keys(
    app: FastAPI, settings: GatewaySettings, published: dict[str, Any]
) -> list[str]:
    """The gateway's buckets, and its keys (each with its certificate from the trust root) in
    the bucket the services verify with."""
    js = app.state.js
    problems = await ensure_buckets(js, settings.stream_replicas)
    store = await js.key_value(KEYS_BUCKET)
    await store.put(JWKS_KEY, json.dumps(published).encode())
    return problems


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.nats_url:
            raise RuntimeError("the gateway needs NATS: set JUNHENG_NATS_URL")
        signer = keys.load_signer(settings)
        jwks = keys.jwks(signer, settings.previous_key_files)
        app.state.signer, app.state.jwks = signer, jwks
        try:
            published = keys.published_jwks(settings, jwks)
        except keys.KeyNotCertified as error:
            log.error("gateway refuses to start: %s", error)
            raise
        app.state.token_verifier = TokenVerifier(
            issuer=settings.token_issuer, audience=settings.token_audience, static_jwks=jwks
        )
        engine = await open_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.auditor = Auditor(  # the gateway's own trail: its administrative acts
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
        if settings.audit == "on":
            await acts.signing_key_in_use(app.state, signer.kid)
        app.state.webhook_worker = DeliveryWorker(
            app.state.sessionmaker, settings, app.state.webhook_secrets
        )
        app.state.webhook_worker.start()
        readiness_checks(app)["webhooks"] = _webhooks_ready
        # retried until JetStream answers (a leader election at start-up): /readyz "pending"
        app.state.jetstream_setup = JetStreamSetup(
            lambda: _publish_keys(app, settings, published), name=settings.service_name
        )
        readiness_checks(app)["jetstream"] = app.state.jetstream_setup.readiness
        started = asyncio.create_task(_connect(app, settings), name="messaging")
        await asyncio.wait({started}, timeout=STARTUP_WAIT_S)  # then in the background
        app.state.metrics_listener = start_metrics_listener(settings)
        if app.state.metrics_listener is None and not settings.serves_metrics_on_http_port():
            log.warning("gateway.metrics_not_served: set GATEWAY_METRICS_PORT to scrape it")
        settle_garbage_collector()
        log.info("gateway.started", extra={"keys": [k["kid"] for k in jwks["keys"]]})
        try:
            yield
        finally:
            if not started.done():
                started.cancel()
                await asyncio.wait({started}, timeout=5)
            app.state.bridge = None
            if app.state.webhook_fanout is not None:
                await app.state.webhook_fanout.stop()
                app.state.webhook_fanout = None
            await app.state.webhook_worker.stop()
            app.state.webhook_worker = None
            await app.state.rate_limiter.stop()
            if app.state.metrics_listener is not None:
                app.state.metrics_listener.stop()
                app.state.metrics_listener = None
            nc = app.state.nats
            if nc is not None and nc.is_connected:
                await nc.drain()
            elif nc is not None and not nc.is_closed:
                # NATS is down: nothing to drain (drain would raise); nats-py's close of a
                # reconnecting client may fail with the reset or a cancelled transport wait:
                # give it a moment, never let it fail the shutdown
                closing = asyncio.ensure_future(nc.close())
                await asyncio.wait({closing}, timeout=2)
                if closing.done() and not closing.cancelled():
                    closing.exception()  # retrieved: the connection is gone either way
            await app.state.auditor.stop()
            await engine.dispose()

    app = FastAPI(
        title="Junheng API",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        separate_input_output_schemas=False,
        telemetry=NO_OPENTELEMETRY,
        dependencies=[DECLARED_INPUTS],  # its own operations: unknown query 422, other bodies 415
        generate_unique_id_function=operation_id,  # short camelCase ids, as the services'
    )
    app.state.settings = settings
    app.state.nats = None
    app.state.jetstream_setup = None
    app.state.bridge = None
    app.state.metrics_listener = None
    app.state.webhook_fanout = None
    app.state.webhook_worker = None
    app.state.auditor = None
    app.state.audit_unplaced_visible = True  # acts of no county: every auditor (audit/acts.py)
    # the webhook signing secrets at rest (webhooks/sealing.py)
    app.state.webhook_secrets = SecretBox(settings.secret_key.get_secret_value())
    # per client, all replicas together: requests are decided in memory, reconciled through KV
    app.state.api_rate_limit = Policy(
        "api", settings.rate_limit_per_second, settings.rate_limit_burst
    )
    # POST /oauth/token, before argon2: failures per client id, attempts per source address
    failures = per_minute(FAILURES_POLICY, settings.token_failures_per_client_per_minute)
    attempts = per_minute(ADDRESSES_POLICY, settings.token_attempts_per_address_per_minute)
    limiter = SharedLimiter(
        [app.state.api_rate_limit, failures, attempts],
        sync_seconds=settings.rate_limit_sync_seconds,
    )
    app.state.rate_limiter = limiter
    app.state.token_throttle = TokenThrottle(
        limiter, failures=failures, attempts=attempts, trusted_proxies=settings.trusted_proxies
    )
    app.state.merged_openapi = MergedDocument(app)
    install_problem_handlers(app)
    app.include_router(auth_router)
    app.include_router(health_router(metrics=settings.serves_metrics_on_http_port()))
    app.include_router(openapi_router)
    app.include_router(webhooks_router)
    app.include_router(export_router)
    app.include_router(audit_router)
    app.include_router(family_router)
    # swagger-ui 5 (OpenAPI 3.1) from a wheel: bureau networks often reach no CDN
    docs_assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/docs/assets", StaticFiles(directory=str(docs_assets)), name="docs-assets")
    # added innermost first: request id → CORS → service routing → audit → FastAPI (the
    # gateway's own operations only: a service records its own)
    app.add_middleware(AuditMiddleware, fastapi_app=app)
    app.add_middleware(ServiceRouter, fastapi_app=app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=[
                "X-Request-ID",
                "Retry-After",
                "RateLimit",
                "RateLimit-Policy",
                "Location",
                "ETag",
            ],
        )
    app.add_middleware(ConditionalGetMiddleware)  # the gateway's own documents' ETags
    app.add_middleware(RequestContextMiddleware)
    return app
