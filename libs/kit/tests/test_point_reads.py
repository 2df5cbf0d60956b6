"""Point reads (junheng_kit.point_reads) on real SQLite files and PostgreSQL: the committed row
by its key with the columns' own types, every commit seen at once (a poll's 304 must never name
a version that changed), a writer's open transaction neither blocking the read nor leaking into
it, and a test's held connection read as its sessions read it."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Uuid, insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from junheng_kit.db import UtcDateTime, create_engine
from junheng_kit.point_reads import PointRead

metadata = MetaData()
POLLED = Table(
    "polled",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)
READ = PointRead(POLLED, "id", ("version", "county_code", "changed_at"))
AT = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def engine(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(fresh_database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def add(engine: AsyncEngine, key: UUID, version: int = 1) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            insert(POLLED).values(id=key, version=version, county_code="150602", changed_at=AT)
        )


async def test_the_committed_row_comes_back_typed_and_an_unknown_key_as_none(
    engine: AsyncEngine,
) -> None:
    key = uuid4()
    await add(engine, key, version=3)
    assert await READ.fetch(engine, key) == (3, "150602", AT)
    assert await READ.fetch(engine, uuid4()) is None


async def test_every_commit_is_seen_at_once_and_an_open_write_neither_blocks_nor_leaks(
    engine: AsyncEngine,
) -> None:
    key = uuid4()
    await add(engine, key)
    assert (await READ.fetch(engine, key) or ())[0] == 1
    async with engine.connect() as writer:
        await writer.begin()
        await writer.execute(update(POLLED).where(POLLED.c.id == key).values(version=2))
        # the writer holds its transaction open: the read answers, with the committed state
        assert (await READ.fetch(engine, key) or ())[0] == 1
        await writer.commit()
    assert (await READ.fetch(engine, key) or ())[0] == 2  # the very next read sees the commit
    for version in range(3, 8):  # and every one after it
        async with engine.begin() as connection:
            await connection.execute(
                update(POLLED).where(POLLED.c.id == key).values(version=version)
            )
        assert (await READ.fetch(engine, key) or ())[0] == version


async def test_a_held_connection_is_read_with_what_it_wrote(engine: AsyncEngine) -> None:
    key = uuid4()
    async with engine.connect() as held:
        await held.begin()
        await held.execute(
            insert(POLLED).values(id=key, version=9, county_code="150602", changed_at=AT)
        )
        assert await READ.fetch(held, key) == (9, "150602", AT)
        assert await READ.fetch(engine, key) is None  # not committed: nobody else sees it
        await held.rollback()
