"""Stale PostgreSQL connections (junheng_kit.db.ping_after_idle): a connection idle in the pool
is pinged before use and replaced when the server dropped it; one used moments ago is not
pinged, and when it was dropped anyway its statement fails as "database unavailable" (503),
after which the pool hands out working connections again. On a real PostgreSQL, its backends
ended by `pg_terminate_backend` as a restart or a firewall would end them."""

import asyncio

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from junheng_kit.db import create_engine, is_database_unavailable, ping_after_idle
from junheng_kit.ids import uuid7
from junheng_kit.processes import PostgresCluster


@pytest.fixture
def url(postgres: PostgresCluster) -> str:
    return postgres.create_database(f"ping_{uuid7().hex[-8:]}")


async def terminate_others(postgres: PostgresCluster, database: str) -> int:
    admin = create_engine(postgres.url("postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        ended = await connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": database},
        )
    await admin.dispose()
    await asyncio.sleep(0.1)
    return int(ended or 0)


async def backend(engine) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as connection:
        return int(await connection.scalar(text("SELECT pg_backend_pid()")))


async def test_an_idle_connection_the_server_dropped_is_replaced_before_use(
    postgres: PostgresCluster, url: str
) -> None:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    ping_after_idle(engine, 0.2)  # besides the default's: a short idle time for the test
    try:
        first = await backend(engine)
        assert await terminate_others(postgres, url.rsplit("/", 1)[1]) == 1
        await asyncio.sleep(0.3)  # idle past the threshold: pinged, found dead, replaced
        assert await backend(engine) != first
    finally:
        await engine.dispose()


async def test_a_connection_used_moments_ago_is_not_pinged_and_a_drop_reads_as_unavailable(
    postgres: PostgresCluster, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    pings: list[str] = []
    try:
        first = await backend(engine)
        raw = await engine.raw_connection()  # the pooled connection's class: count its pings
        adapter = type(raw.dbapi_connection)
        raw.close()
        original = adapter.ping

        def counted(self: object) -> None:
            pings.append("ping")
            original(self)  # type: ignore[arg-type]

        monkeypatch.setattr(adapter, "ping", counted)
        assert await backend(engine) == first
        assert pings == []  # used moments ago: no round trip spent on a ping
        assert await terminate_others(postgres, url.rsplit("/", 1)[1]) == 1
        with pytest.raises(sa_exc.DBAPIError) as dropped:
            await backend(engine)
        assert is_database_unavailable(dropped.value)  # → 503 with Retry-After, not 500
        assert await backend(engine) != first  # the pool was invalidated: a new connection
    finally:
        await engine.dispose()
