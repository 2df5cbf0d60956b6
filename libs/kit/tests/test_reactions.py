"""Domain events reacted to in the recording transaction, before it commits; once per distinct
event; dropped with a rollback; a cycle of reactions is stopped."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.reactions import MAX_ROUNDS, reacts_to, record


@dataclass(frozen=True)
class Stored:
    key: str


@dataclass(frozen=True)
class Announced:
    key: str


@dataclass(frozen=True)
class Echo:
    n: int


seen: list[object] = []


@reacts_to(Stored)
async def announce(session: AsyncSession, event: Stored) -> None:
    seen.append(event)
    await session.execute(text("INSERT INTO note (key) VALUES (:key)"), {"key": event.key})
    record(session, Announced(event.key))


@reacts_to(Announced)
async def noted(session: AsyncSession, event: Announced) -> None:
    seen.append(event)


@reacts_to(Echo)
async def echo(session: AsyncSession, event: Echo) -> None:
    record(session, Echo(event.n + 1))  # never ends


@pytest.fixture
async def sessions(tmp_path: object) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    seen.clear()
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/reactions.sqlite3")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE note (key TEXT NOT NULL)"))
    yield create_sessionmaker(engine)
    await engine.dispose()


async def notes(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return list(await session.scalars(text("SELECT key FROM note ORDER BY key")))


async def test_reactions_run_before_the_commit_and_commit_with_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        record(session, Stored("a"))
        record(session, Stored("a"))  # the same event again: once
        record(session, Stored("b"))
        assert seen == []  # nothing runs until the commit
        await session.commit()
    assert seen == [Stored("a"), Stored("b"), Announced("a"), Announced("b")]
    assert await notes(sessions) == ["a", "b"]


async def test_a_rollback_drops_the_recorded_events(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        record(session, Stored("gone"))
        await session.rollback()
        await session.commit()
    assert seen == []
    assert await notes(sessions) == []


async def test_reactions_that_never_stop_recording_are_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        record(session, Echo(0))
        with pytest.raises(RuntimeError, match=f"after {MAX_ROUNDS} rounds"):
            await session.commit()
