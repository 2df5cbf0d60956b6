"""SQLite writers of one process queue on the writer gate, in order, instead of sleeping in
SQLite's busy handler; readers never wait for it; a holder that never gives it back slows
writers down to SQLite's own lock, never stops them."""

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from junheng_kit.db import READ_ONLY, create_engine, create_sessionmaker, writer_gate


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.sqlite3'}")
    async with engine.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE note (n INTEGER NOT NULL)")
    yield engine
    await engine.dispose()


async def test_writers_take_turns_in_arrival_order(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)
    gate = writer_gate(engine)
    assert gate is not None
    order: list[str] = []
    first_inside = asyncio.Event()
    release_first = asyncio.Event()

    async def writer(name: str, n: int, hold: asyncio.Event | None = None) -> None:
        async with sessions() as session:
            # "out" as the commit completes, before the task that commits awaits again: the
            # next writer may take the gate at that await, ahead of code after `commit()`
            event.listen(
                session.sync_session, "after_commit", lambda _: order.append(f"{name} out")
            )
            await session.execute(text("INSERT INTO note (n) VALUES (:n)"), {"n": n})
            order.append(f"{name} in")
            if hold is not None:
                first_inside.set()
                await hold.wait()
            await session.commit()

    first = asyncio.create_task(writer("a", 1, release_first))
    await first_inside.wait()
    others = []
    for queued, (n, name) in enumerate(((2, "b"), (3, "c")), start=1):
        # each opens its own connection first (a thread each), so one must reach the gate
        # before the next starts for "arrival order" to be the order written here
        others.append(asyncio.create_task(writer(name, n)))
        for _ in range(500):
            if gate.waited == queued:
                break
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # b and c are queued, not inside a transaction
    assert order == ["a in"]
    assert gate.waited == 2
    release_first.set()
    await asyncio.gather(first, *others)
    assert order == ["a in", "a out", "b in", "b out", "c in", "c out"]
    async with engine.connect() as connection:
        assert (await connection.scalar(text("SELECT group_concat(n) FROM note"))) == "1,2,3"


async def test_readers_do_not_queue_behind_a_writer(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as writer:
        await writer.execute(text("INSERT INTO note (n) VALUES (7)"))  # holds the gate
        async with sessions() as reader:
            await reader.connection(execution_options={READ_ONLY: True})
            began = time.perf_counter()
            count = await reader.scalar(text("SELECT count(*) FROM note"))
            assert time.perf_counter() - began < 1.0
            assert count == 0  # WAL: the reader sees the last commit, not the open write
        await writer.commit()


@pytest.mark.parametrize("ending", ["rollback", "close", "error"])
async def test_a_transaction_that_ends_without_commit_gives_the_gate_back(
    engine: AsyncEngine, ending: str
) -> None:
    sessions = create_sessionmaker(engine)
    session = sessions()
    await session.execute(text("INSERT INTO note (n) VALUES (1)"))
    if ending == "rollback":
        await session.rollback()
    elif ending == "close":
        await session.close()  # the pool rolls back on check-in
    else:
        with pytest.raises(Exception, match="no such table"):
            await session.execute(text("INSERT INTO missing (n) VALUES (1)"))
        await session.rollback()
    await session.close()

    async def next_writer() -> None:
        async with sessions() as other:
            await other.execute(text("INSERT INTO note (n) VALUES (2)"))
            await other.commit()

    await asyncio.wait_for(next_writer(), timeout=5)  # would wait the gate's 30 s if leaked


async def test_a_gate_never_given_back_delays_writers_but_does_not_stop_them(
    engine: AsyncEngine,
) -> None:
    gate = writer_gate(engine)
    assert gate is not None
    gate.timeout = 0.3
    leaked = gate._lock()
    await leaked.acquire()  # as if a cancelled task's connection still held it
    sessions = create_sessionmaker(engine)
    began = time.perf_counter()
    async with sessions() as session:
        await session.execute(text("INSERT INTO note (n) VALUES (5)"))
        await session.commit()
    waited = time.perf_counter() - began
    assert 0.3 <= waited < 5
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT n FROM note")) == 5
    leaked.release()


async def test_postgresql_engines_have_no_gate() -> None:
    engine = create_engine("postgresql+asyncpg://user:pw@127.0.0.1:1/none")
    assert writer_gate(engine) is None
    await engine.dispose()
