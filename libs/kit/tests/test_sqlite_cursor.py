"""SQLite statements run in one trip to the connection's thread and answer exactly as the
driver's own cursor does: rows, columns of an empty result, rowcount, lastrowid, RETURNING,
executemany, errors, streaming."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
import sqlalchemy
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine

from junheng_kit.db import create_engine
from junheng_kit.sqlite_cursor import INTERNALS, WRITTEN_FOR, OneTripConnection


@pytest.fixture(params=["file", "memory"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    where = tmp_path / "trips.sqlite3" if request.param == "file" else ""
    engine = create_engine(f"sqlite+aiosqlite:///{where}")
    async with engine.begin() as connection:
        await connection.exec_driver_sql(
            "CREATE TABLE note (id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE, n INTEGER)"
        )
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the functions aiosqlite ran on its connection threads, in order."""
    seen: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return seen


async def test_connections_use_the_one_trip_cursor(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert type(raw.driver_connection) is aiosqlite.Connection
        assert type(raw.dbapi_connection) is OneTripConnection


async def test_a_query_is_one_trip(engine: AsyncEngine, trips: list[str]) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO note (word, n) VALUES ('a', 1), ('b', 2)"))
        trips.clear()
        rows = (await connection.execute(text("SELECT word, n FROM note ORDER BY id"))).all()
        assert [tuple(r) for r in rows] == [("a", 1), ("b", 2)]
        assert trips == ["_run"]  # was cursor, execute, fetchall, close


async def test_results_match_the_drivers_cursor(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        inserted = await connection.execute(text("INSERT INTO note (word, n) VALUES ('x', 7)"))
        assert inserted.rowcount == 1
        assert inserted.lastrowid == 1
        updated = await connection.execute(text("UPDATE note SET n = n + 1 WHERE n >= 0"))
        assert updated.rowcount == 1
        returned = await connection.execute(
            text("INSERT INTO note (word, n) VALUES ('y', 3), ('z', 4) RETURNING id, word")
        )
        assert [tuple(r) for r in returned] == [(2, "y"), (3, "z")]
        empty = await connection.execute(text("SELECT id, word FROM note WHERE n > 100"))
        assert list(empty.keys()) == ["id", "word"]  # columns known without a row
        assert empty.all() == []
        many = await connection.execute(
            text("UPDATE note SET n = :n WHERE word = :w"),
            [{"n": 10, "w": "y"}, {"n": 11, "w": "z"}, {"n": 12, "w": "none"}],
        )
        assert many.rowcount == 2
        total = await connection.scalar(text("SELECT sum(n) FROM note"))
        assert total == 8 + 10 + 11


async def test_a_refused_statement_raises_and_the_connection_goes_on(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("INSERT INTO note (word, n) VALUES ('dup', 1)"))
        with pytest.raises(exc.IntegrityError, match="UNIQUE"):
            await connection.execute(text("INSERT INTO note (word, n) VALUES ('dup', 2)"))
        await connection.rollback()
        with pytest.raises(exc.OperationalError, match="no such table"):
            await connection.execute(text("SELECT * FROM missing"))
        await connection.rollback()
        assert await connection.scalar(text("SELECT count(*) FROM note")) == 0


async def test_streaming_keeps_the_server_side_cursor(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO note (word, n) VALUES (:w, :n)"),
            [{"w": f"w{i}", "n": i} for i in range(250)],
        )
        result = await connection.stream(text("SELECT n FROM note ORDER BY n"))
        seen = [n async for n in result.scalars()]
        assert seen == list(range(250))


def test_sqlalchemy_is_the_version_the_cursor_was_written_for() -> None:
    major, minor = (int(part) for part in sqlalchemy.__version__.split(".")[:2])
    assert (major, minor) == WRITTEN_FOR, (
        f"SQLAlchemy {sqlalchemy.__version__}: junheng_kit.sqlite_cursor subclasses its private "
        f"aiosqlite adapter, written for {WRITTEN_FOR}; re-check it against this version"
    )


@pytest.mark.parametrize(
    ("owner", "name"),
    [(owner, name) for owner, names in INTERNALS.items() for name in names],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_every_private_name_the_cursor_relies_on_exists(owner: type, name: str) -> None:
    present = (
        hasattr(owner, name)
        or name in getattr(owner, "__slots__", ())
        or any(name in getattr(base, "__slots__", ()) for base in owner.__mro__)
    )
    assert present, f"SQLAlchemy {sqlalchemy.__version__} has no {owner.__name__}.{name}"
