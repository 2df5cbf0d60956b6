from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.messaging.connection import ensure_streams
from junheng_kit.migrations import service_dir as installed_service_dir


@pytest.fixture(scope="session")
def service_dir() -> Path:
    """Kit tests borrow enrollment's migrated schema: every service has the kit's tables."""
    return installed_service_dir("enrollment")


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    """JetStream with the project's streams, as a service finds them at start-up (and as it
    leaves them: a test may have changed a stream's settings)."""
    nc = await nats.connect(nats_url)
    stream = nc.jetstream()
    await ensure_streams(stream)
    yield stream
    await ensure_streams(stream)
    await nc.close()


@pytest.fixture
async def sessions(fresh_database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a fresh migrated database of this test alone."""
    engine = create_engine(fresh_database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def database(fresh_database_url: str) -> str:
    """A fresh database with a `note` table: the effect of the Idempotency-Key test apps."""
    engine = create_engine(fresh_database_url)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE note (text VARCHAR(100) UNIQUE)"))
    await engine.dispose()
    return fresh_database_url


@pytest.fixture
def claim_record(database: str) -> Callable[[str], Awaitable[Any]]:
    """(state, owner, status) of an Idempotency-Key's stored claim in `database`, or None."""

    async def record(key: str) -> Any:
        engine = create_engine(database)
        try:
            async with engine.connect() as connection:
                return (
                    await connection.execute(
                        text("SELECT state, owner, status FROM idempotency_record WHERE key = :k"),
                        {"k": key},
                    )
                ).one_or_none()
        finally:
            await engine.dispose()

    return record
