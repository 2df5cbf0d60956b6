"""Pool sizing: replicas × (pool + overflow) must fit the service role's CONNECTION LIMIT (or the
server's max_connections), checked at start-up against a real PostgreSQL."""

import pytest
from sqlalchemy import text

from junheng_kit.db import PoolTooLarge, check_pool_budget, create_engine, engine_for
from junheng_kit.ids import uuid7
from junheng_kit.processes import PostgresCluster
from junheng_kit.testing.plugin import small_service_settings


@pytest.fixture
async def limited_role_url(postgres: PostgresCluster) -> str:
    """A database owned by a role with CONNECTION LIMIT 12, as deploy/ creates them."""
    name = f"pool_{uuid7().hex[-8:]}"
    admin = create_engine(postgres.url("postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE ROLE "{name}" LOGIN CONNECTION LIMIT 12'))
        await connection.execute(text(f'CREATE DATABASE "{name}" OWNER "{name}"'))
    await admin.dispose()
    return f"postgresql+asyncpg://{name}@127.0.0.1:{postgres.port}/{name}"


async def test_a_pool_that_fits_the_role_limit_starts(limited_role_url: str) -> None:
    settings = small_service_settings(
        "pools", limited_role_url, replicas=2, db_pool_size=4, db_max_overflow=2
    )
    engine = engine_for(settings)
    try:
        figures = await check_pool_budget(engine, settings)
    finally:
        await engine.dispose()
    assert figures == {"needed": 12, "budget": 12, "per_replica": 6}
    assert engine.pool.size() == 4  # type: ignore[attr-defined]


async def test_replicas_times_the_pool_over_the_role_limit_refuse_to_start(
    limited_role_url: str,
) -> None:
    settings = small_service_settings(
        "pools", limited_role_url, replicas=3, db_pool_size=4, db_max_overflow=2
    )
    engine = engine_for(settings)
    try:
        with pytest.raises(PoolTooLarge) as refused:
            await check_pool_budget(engine, settings)
    finally:
        await engine.dispose()
    message = str(refused.value)
    assert "3 replicas (REPLICAS) × 6 connections" in message
    assert "= 18 exceed role " in message
    assert "CONNECTION LIMIT 12" in message


async def test_a_role_without_a_limit_is_held_to_max_connections(postgres: PostgresCluster) -> None:
    url = postgres.create_database(f"pool_{uuid7().hex[-8:]}")
    fits = small_service_settings("pools", url, replicas=2, db_pool_size=5, db_max_overflow=5)
    too_many = small_service_settings("pools", url, replicas=100, db_pool_size=5, db_max_overflow=5)
    engine = engine_for(fits)
    try:
        figures = await check_pool_budget(engine, fits)
        assert figures is not None
        assert figures["needed"] == 20
        assert figures["budget"] == 300 - 3  # the tests' server: max_connections 300
        with pytest.raises(PoolTooLarge, match="max_connections 300 less 3 reserved"):
            await check_pool_budget(engine, too_many)
    finally:
        await engine.dispose()


async def test_sqlite_has_no_connection_budget() -> None:
    settings = small_service_settings("pools", "sqlite+aiosqlite://")
    engine = engine_for(settings)
    try:
        assert await check_pool_budget(engine, settings) is None
    finally:
        await engine.dispose()
