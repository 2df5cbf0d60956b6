from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest
from nats.js import JetStreamContext
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
