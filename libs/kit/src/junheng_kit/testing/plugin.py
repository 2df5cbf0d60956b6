"""The pytest plugin every Junheng test run loads (`-p junheng_kit.testing.plugin`).

Fixtures start real parts: a nats-server with JetStream on a random port, a PostgreSQL cluster
(initdb + pg_ctl in a temp dir, random port) and SQLite files, each migrated by the service's own
Alembic chain. DB tests run on both back ends via `database_url`. A PostgreSQL that cannot start
fails the run: it is never skipped silently.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from junheng_kit.crypto_profile import ENV as CRYPTO_ENV
from junheng_kit.crypto_profile import PROFILES, profile
from junheng_kit.db import create_engine
from junheng_kit.migrations import upgrade
from junheng_kit.processes import NatsServer, PostgresCluster
from junheng_kit.reactions import ReactingSession
from junheng_kit.settings import ServiceSettings
from junheng_kit.testing.clock import Clock as Clock  # the `clock` fixture is the plugin's
from junheng_kit.testing.clock import clock as clock
from junheng_kit.testing.examples import recording_hooks

# races between replicas and the settings of a service under test live in their own modules;
# every name stays importable from the plugin
from junheng_kit.testing.replicas import Replicas as Replicas
from junheng_kit.testing.replicas import assert_race_settled as assert_race_settled
from junheng_kit.testing.replicas import problem_errors as problem_errors
from junheng_kit.testing.replicas import replicas_fixture as replicas_fixture
from junheng_kit.testing.replicas import running_replicas as running_replicas
from junheng_kit.testing.settings import TEST_PSEUDONYM_KEY as TEST_PSEUDONYM_KEY
from junheng_kit.testing.settings import TEST_SECRET as TEST_SECRET
from junheng_kit.testing.settings import field_keys_for_tests as field_keys_for_tests
from junheng_kit.testing.settings import service_settings as service_settings
from junheng_kit.tokens import TokenSigner

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path_factory.mktemp("nats")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def nats_url(nats_server: NatsServer) -> str:
    return nats_server.url


@pytest.fixture(scope="session")
def production_nats(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Settings values that let a `JUNHENG_ENV=prod` process start against the tests' plain
    nats-server: an nkey identity (the server has no authorization, so it is not asked for)
    and plain TCP allowed explicitly."""
    from junheng_kit.natsauth import ensure_seeds, seed_file

    directory = tmp_path_factory.mktemp("nats-identity")
    ensure_seeds(directory, ["test"])
    return {"nats_nkey_seed_file": seed_file(directory, "test"), "nats_allow_plaintext": True}


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[Any]:
    """A JetStream client of the test run's nats-server (read streams, publish others' events).
    Every producer's stream exists, as it does once the producers have started (each service
    creates only its own)."""
    import nats

    from junheng_kit.messaging.connection import ensure_streams

    connection = await nats.connect(nats_url)
    stream = connection.jetstream()
    await ensure_streams(stream)
    yield stream
    await connection.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().start()
    yield cluster
    cluster.discard()


class Databases:
    """Migrated databases, one per (service dir, back end), created once per test session."""

    def __init__(self, tmp: pytest.TempPathFactory, request: pytest.FixtureRequest) -> None:
        self.tmp, self.request = tmp, request
        self.cache: dict[tuple[Path, str], str] = {}
        self.count = 0

    def fresh(self, service_dir: Path, backend: str) -> str:
        self.count += 1
        name = f"{service_dir.name}_{self.count}"
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{self.tmp.mktemp('db') / (name + '.sqlite3')}"
        else:
            cluster: PostgresCluster = self.request.getfixturevalue("postgres")
            url = cluster.create_database(name)
        upgrade(service_dir, url)
        return url

    def migrated(self, service_dir: Path, backend: str) -> str:
        key = (service_dir, backend)
        if key not in self.cache:
            self.cache[key] = self.fresh(service_dir, backend)
        return self.cache[key]


@pytest.fixture(scope="session")
def databases(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Databases:
    return Databases(tmp_path_factory, request)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(databases: Databases, service_dir: Path, backend: str) -> str:
    """A migrated database of the service under test; writes roll back per test via `client`."""
    return databases.migrated(service_dir, backend)


@pytest.fixture(scope="session")
def signer() -> TokenSigner:
    return TokenSigner.generate(issuer="junheng-gateway", audience="junheng")


@pytest.fixture(scope="session")
def jwks_json(signer: TokenSigner) -> str:
    import json

    return json.dumps(signer.jwks())


TokenFactory = Callable[..., str]


@pytest.fixture
def token(signer: TokenSigner) -> TokenFactory:
    def make(
        *scopes: str,
        jurisdiction: tuple[str, ...] = ("150602",),
        subject: str = "test-client",
        ttl_seconds: int = 600,
    ) -> str:
        return signer.issue(
            subject=subject, scopes=scopes, jurisdiction=jurisdiction, ttl_seconds=ttl_seconds
        )

    return make


@pytest.fixture(params=PROFILES)
def crypto_profile(request: pytest.FixtureRequest) -> Iterator[str]:
    """The test runs under each cryptographic profile (JUNHENG_CRYPTO_PROFILE): international,
    then 国密. Keys made inside the test are of that profile's kind."""
    with use_crypto_profile(request.param):
        yield request.param


@contextmanager
def use_crypto_profile(name: str) -> Iterator[None]:
    old = os.environ.get(CRYPTO_ENV)
    os.environ[CRYPTO_ENV] = name
    profile.cache_clear()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(CRYPTO_ENV, None)
        else:
            os.environ[CRYPTO_ENV] = old
        profile.cache_clear()


@pytest.fixture
def test_env() -> Iterator[None]:
    old = os.environ.get("JUNHENG_ENV")
    os.environ["JUNHENG_ENV"] = "test"
    yield
    if old is None:
        os.environ.pop("JUNHENG_ENV", None)
    else:
        os.environ["JUNHENG_ENV"] = old


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP through the app, its lifespan run; every write lands in a savepoint rolled back after
    the test, so tests on the shared migrated database never see each other's rows."""
    async with app.router.lifespan_context(app):
        engine = create_engine(app.state.settings.database_url)
        async with engine.connect() as connection:
            outer = await connection.begin()
            app.state.sessionmaker = async_sessionmaker(
                bind=connection,
                class_=ReactingSession,
                expire_on_commit=False,
                autoflush=False,
                join_transaction_mode="create_savepoint",
            )
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://service", event_hooks=recording_hooks(app)
            ) as http:
                yield http
            await outer.rollback()
        await engine.dispose()


@pytest.fixture
async def session(client: httpx.AsyncClient, app: FastAPI) -> AsyncIterator[AsyncSession]:
    """A session on the test's connection: sees what the requests wrote before rollback."""
    async with app.state.sessionmaker() as db_session:
        yield db_session


def small_service_settings(
    service_name: str, database_url: str = "sqlite+aiosqlite://", **values: Any
) -> ServiceSettings:
    """Settings of a small test service built with `build_service_app` (kit tests); `values`
    set anything else (`jwks_json`, `nats_url`, …)."""
    return ServiceSettings(
        service_name=service_name,
        database_url=database_url,
        secret_key=SecretStr("test-only-secret"),
        pseudonym_key=SecretStr("test-only-pseudonym-key"),
        **{"environment": "test", **values},
    )


def auth(token_value: str, **headers: str) -> dict[str, Any]:
    return {"Authorization": f"Bearer {token_value}", **headers}


@pytest.fixture
def fresh_database_url(databases: Databases, service_dir: Path, backend: str) -> str:
    """A newly created and migrated database for this test alone (for tests that commit)."""
    return databases.fresh(service_dir, backend)


@pytest.fixture
async def live_client(live_app: FastAPI, js: Any) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP through an app whose requests really commit (outbox relay and consumers see them).
    Every producer's stream exists before the app starts (`js`), as in a running deployment:
    the app's durables bind at once."""
    async with live_app.router.lifespan_context(live_app):
        transport = httpx.ASGITransport(app=live_app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://service", event_hooks=recording_hooks(live_app)
        ) as http:
            yield http


async def eventually(
    check: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.05
) -> Any:
    """Poll an async `check` until it returns a truthy value; fail with the last value."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value {last!r}")


async def settles_on(read: Callable[[], Any], expected: Any, *, timeout: float = 10.0) -> None:
    """Poll an async `read` until it gives `expected`; else fail showing what it gave last."""
    seen: list[Any] = []

    async def check() -> bool:
        seen.append(await read())
        return bool(seen[-1] == expected)

    try:
        await eventually(check, timeout=timeout)
    except AssertionError:
        assert seen[-1] == expected


def school_registered(code: str | None = None, name: str = "测试小学") -> Any:
    """An `enrollment.school.registered` event of a primary school in 150602 (kit tests publish
    it as enrollment would); a fresh code unless one is given."""
    from junheng_contracts.enrollment import SchoolData, SchoolRegistered
    from junheng_kit.ids import uuid7

    code = code or f"2115{uuid7().int % 10**6:06d}"
    return SchoolRegistered.of(
        subject=code,
        jurisdiction="150602",
        data=SchoolData(
            school_code=code,
            name=name,
            levels=["primary"],
            county_code="150602",
            longitude=110.0,
            latitude=39.8,
            planned_capacity=100,
            version=1,
        ),
    )


async def stream_messages(js: Any, subject: str) -> list[Any]:
    """Every message a stream holds on `subject`, read by a throwaway consumer."""
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    sub = await js.pull_subscribe(
        subject,
        config=ConsumerConfig(
            deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE, inactive_threshold=10
        ),
    )
    found: list[Any] = []
    while True:
        try:
            found.extend(await sub.fetch(1000, timeout=0.5))
        except TimeoutError:  # nats-py raises its own subclass or the builtin
            break
    await sub.unsubscribe()
    return found


def event_id_of(data: bytes) -> str | None:
    """The CloudEvent id a message carries, or None: other tests publish malformed messages on
    the same subjects (a stream outlives each test)."""
    try:
        event = json.loads(data)
    except ValueError:
        return None
    return event.get("id") if isinstance(event, dict) else None


def service_fixtures(
    create_app: Callable[[Any], FastAPI], settings_type: type[Any]
) -> tuple[Any, ...]:
    """The fixtures every service's tests need, for its conftest:

    `service_dir, app, live_app = service_fixtures(create_app, EnrollmentSettings)`

    - `service_dir`: where its alembic chain lives (databases are migrated with it);
    - `app`: the app on the shared migrated database, no NATS (writes roll back via `client`);
    - `live_app`: the app on a fresh database with a real nats-server (relay and consumers run).
    """
    from junheng_kit.migrations import service_dir as installed_service_dir

    name = settings_type.model_fields["service_name"].default

    def settings(**values: Any) -> Any:
        return service_settings(settings_type, **values)

    @pytest.fixture(scope="session", name="service_dir")
    def service_dir_fixture() -> Path:
        return installed_service_dir(name)

    @pytest.fixture(name="app")
    def app_fixture(database_url: str, jwks_json: str) -> FastAPI:
        return create_app(settings(database_url=database_url, jwks_json=jwks_json, nats_url=None))

    @pytest.fixture(name="live_app")
    def live_app_fixture(fresh_database_url: str, jwks_json: str, nats_url: str) -> FastAPI:
        return create_app(
            settings(
                database_url=fresh_database_url,
                jwks_json=jwks_json,
                nats_url=nats_url,
                outbox_poll_seconds=0.1,
            )
        )

    return service_dir_fixture, app_fixture, live_app_fixture


def scope_fixtures(service: str) -> tuple[Any, Any]:
    """`reader` and `writer` fixtures for a service's conftest: the headers of a token with
    `<service>:read`, and with `<service>:read` and `<service>:write` (the test token's default
    jurisdiction). A module that needs other scopes defines its own under another name.

    `reader, writer = scope_fixtures("evaluation")`"""

    @pytest.fixture(name="reader")
    def reader_fixture(token: TokenFactory) -> dict[str, str]:
        return auth(token(f"{service}:read"))

    @pytest.fixture(name="writer")
    def writer_fixture(token: TokenFactory) -> dict[str, str]:
        return auth(token(f"{service}:read", f"{service}:write"))

    return reader_fixture, writer_fixture
