"""Gateway tests: a real nats-server, the services played by small FastAPI apps served through
the kit's BridgeServer, the gateway's real migrations on SQLite and PostgreSQL."""

import asyncio
import importlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel, SecretStr

# pytest's importlib mode imports this file as `gateway.tests.conftest` and first registers the
# repository's gateway/ directory as the module `gateway`, shadowing the real package (src/gateway).
# Put the real package back before importing from it.
if not hasattr(sys.modules.get("gateway"), "__file__") or sys.modules["gateway"].__file__ is None:
    sys.modules.pop("gateway", None)
    importlib.import_module("gateway")

from gateway.app import create_app
from gateway.auth import service
from gateway.settings import GatewaySettings
from junheng_kit.bridge import BridgeServer
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.messaging.connection import connect, ensure_buckets, ensure_service_assets
from junheng_kit.problems import problem_responses
from junheng_kit.processes import free_port
from junheng_kit.testing.plugin import Databases
from junheng_kit.tokens import TokenSigner

GATEWAY_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def service_dir() -> Path:
    return GATEWAY_DIR


class Item(BaseModel):
    item_id: str
    name: str


def upstream_app(service_name: str) -> FastAPI:
    """Stands in for a service: echoes what reached it, sleeps on demand, has an OpenAPI."""
    app = FastAPI(title=f"test {service_name}")

    @app.post("/v1/echo", status_code=201, tags=["echo"])
    async def echo(request: Request) -> Response:
        body = await request.body()
        return Response(
            body,
            status_code=201,
            media_type=request.headers.get("content-type", "application/octet-stream"),
            headers={
                "x-seen-path": request.url.path,
                "x-seen-query": request.url.query,
                "x-seen-authorization": request.headers.get("authorization", ""),
                "x-seen-request-id": request.headers.get("x-request-id", ""),
                "x-seen-custom": request.headers.get("x-custom", ""),
                "x-seen-keep-alive": request.headers.get("keep-alive", "-"),
                "x-seen-prefix": request.headers.get("x-forwarded-prefix", ""),
                "x-service": service_name,
            },
        )

    @app.get("/v1/slow", tags=["echo"])
    async def slow(seconds: float = 2.0) -> dict[str, str]:
        await asyncio.sleep(seconds)
        return {"status": "late"}

    @app.get("/v1/items/{item_id}", tags=["items"], responses=problem_responses())
    async def get_item(item_id: str) -> Item:
        return Item(item_id=item_id, name="desk")

    @app.post("/v1/items", tags=["items"], status_code=201)
    async def create_item(item: Item, response: Response) -> Item:
        response.headers["Location"] = f"/v1/items/{item.item_id}"  # the service's own path
        return item

    @app.get("/v1/tagged", tags=["items"])
    async def tagged(size: int = 65536) -> Response:
        """A JSON answer with an ETag (as the services' versioned resources carry)."""
        return Response(
            json.dumps({"filler": "x" * size}).encode(),
            media_type="application/json",
            headers={"etag": '"v7"'},
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


@pytest.fixture
async def upstreams(nats_url: str) -> AsyncIterator[None]:
    """`enrollment` and `staffing` answer over NATS; nobody serves `assistance`."""
    nc = await connect(nats_url, "test-upstreams")
    js = nc.jetstream()
    await ensure_buckets(js)
    for name in ("enrollment", "staffing"):  # their reply buckets
        await ensure_service_assets(js, name, 1)
    servers = [
        BridgeServer(upstream_app(name), nc, js, name) for name in ("enrollment", "staffing")
    ]
    for server in servers:
        await server.start()
    await nc.flush()
    yield
    for server in servers:
        await server.stop()
    await nc.close()


@pytest.fixture(scope="session")
def signing_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "gateway-signing-key.pem"
    path.write_bytes(
        TokenSigner.generate(issuer="junheng-gateway", audience="junheng").private_pem()
    )
    return path


SettingsFactory = Callable[..., GatewaySettings]


@pytest.fixture
def sqlite_url(databases: Databases, service_dir: Path) -> str:
    """The migrated SQLite database for tests that are not about storage (sync: alembic)."""
    return databases.migrated(service_dir, "sqlite")


@pytest.fixture
def make_settings(nats_url: str, sqlite_url: str, signing_key_file: Path) -> SettingsFactory:
    def make(**overrides: Any) -> GatewaySettings:
        values: dict[str, Any] = {
            "environment": "test",
            "secret_key": SecretStr("test-secret"),
            "pseudonym_key": SecretStr("test-pseudonym-key"),
            "nats_url": nats_url,
            "signing_key_file": signing_key_file,
            "database_url": sqlite_url,
            # every test's token requests come from 127.0.0.1 within a minute or two: only the
            # throttle's own tests (test_token_throttle.py) limit them
            "token_attempts_per_address_per_minute": 100_000,
            "token_failures_per_client_per_minute": 100_000,
        }
        return GatewaySettings(**{**values, **overrides})

    return make


@asynccontextmanager
async def running(settings: GatewaySettings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://gateway", timeout=60
        ) as http:
            yield app, http


Running = AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]
GatewayStarter = Callable[..., Running]


@pytest.fixture
def start_gateway(upstreams: None, make_settings: SettingsFactory) -> GatewayStarter:
    """`async with start_gateway(**settings) as (app, http)`: a gateway with its lifespan run."""

    def start(**overrides: Any) -> Running:
        return running(make_settings(**overrides))

    return start


@pytest.fixture
async def gateway(
    start_gateway: GatewayStarter,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with start_gateway() as pair:
        yield pair


@pytest.fixture
def http(gateway: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return gateway[1]


TokenMaker = Callable[..., str]


@pytest.fixture
def gateway_token(gateway: tuple[FastAPI, httpx.AsyncClient]) -> TokenMaker:
    """A token signed with the running gateway's own key."""
    signer: TokenSigner = gateway[0].state.signer

    def make(
        *scopes: str, subject: str = "test-client", ttl_seconds: int = 600, now: float | None = None
    ) -> str:
        return signer.issue(
            subject=subject,
            scopes=scopes,
            jurisdiction=["150602"],
            ttl_seconds=ttl_seconds,
            now=now,
        )

    return make


Register = Callable[..., Awaitable[str]]


async def _register(database_url: str, *, scopes: list[str], secret: str = "s3cret-value") -> str:  # noqa: S107
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            registered = await service.register_client(
                session,
                name="Dongsheng bureau",
                scopes=scopes,
                jurisdiction=["150602"],
                services=["enrollment", "staffing", "assistance", "evaluation"],
                secret=secret,
            )
            await session.commit()
    finally:
        await engine.dispose()
    return registered.client_id


@pytest.fixture
def register() -> Register:
    """Register a client straight through the use-case; returns its (unique) id."""
    return _register


@pytest.fixture(scope="session")
def production_gateway(
    production_nats: dict[str, Any],
    signing_key_file: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """Settings values a `JUNHENG_ENV=prod` gateway needs beyond its secrets: a NATS identity
    (`production_nats`) and a pinned trust root that certifies its signing key."""
    from gateway.auth.keys import public_jwk
    from junheng_kit.signing import Signer
    from junheng_kit.trust import certify, write_certificates

    root = Signer.generate()
    certificates = tmp_path_factory.mktemp("certificates") / "gateway-key-certificates.json"
    write_certificates(certificates, [certify(root, public_jwk(signing_key_file), days=1)])
    return {
        **production_nats,
        "trust_root_keys": root.public_key_text,
        "key_certificates_file": certificates,
    }


# ---------------------------------------------------------------- webhooks


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived


@dataclass
class Receiver:
    """A real HTTP receiver of webhooks (uvicorn on its own port): records every POST and
    answers `status`, after `delay` seconds. Stopped, its port refuses connections; started
    again, it listens on the same port."""

    port: int = field(default_factory=free_port)
    status: int = 200
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/junheng/events"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.received.append(
            Received({k.decode(): v.decode() for k, v in scope["headers"]}, body, time.monotonic())
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def start(self) -> None:
        config = uvicorn.Config(
            self,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            assert not self._task.done(), "the receiver did not start"
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None

    def of(self, event_id: str) -> list[Received]:
        """What arrived of one event (other tests' events may pass through a shared stream)."""
        return [r for r in self.received if json.loads(r.body).get("id") == event_id]


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[[], Awaitable[Receiver]]]:
    """`await receivers()`: a started receiver, stopped after the test."""
    made: list[Receiver] = []

    async def make() -> Receiver:
        receiver = Receiver()
        await receiver.start()
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        await receiver.stop()


async def register_client(
    database_url: str, *, jurisdiction: list[str], scopes: list[str], name: str = "bureau"
) -> str:
    """A registered client (its id); tokens for it come from the gateway's signer."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            registered = await service.register_client(
                session,
                name=name,
                scopes=scopes,
                jurisdiction=jurisdiction,
                services=["enrollment", "staffing", "assistance", "evaluation"],
            )
            await session.commit()
    finally:
        await engine.dispose()
    return registered.client_id


async def gateway_cli(
    database_url: str, *args: str, environment: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """`python -m gateway ARGS` against `database_url`, as an operator runs it: (exit code,
    stdout, stderr)."""
    env = {
        **os.environ,
        **(
            environment
            if environment is not None
            else {
                "JUNHENG_ENV": "test",
                "GATEWAY_SECRET_KEY": "test-secret",
                "JUNHENG_PSEUDONYM_KEY": "test-pseudonym-key",
            }
        ),
        "GATEWAY_DATABASE_URL": database_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()
