"""Point reads for hot paths: a few columns of one row by its key, without an ORM session.

A family app polls its application's status thousands of times a second; the answer to almost
every poll is `304 Not Modified`, decided by one indexed read of the row's version. Through an
`AsyncSession` that read costs a session, a transaction, statement compilation and (on SQLite)
three trips to aiosqlite's connection thread — most of the request's CPU. `PointRead` does it
with the statement compiled once per dialect:

- SQLite (a database file): on a read-only connection of this process (`PRAGMA query_only`),
  run inline on the event loop. An indexed lookup takes microseconds, and in WAL mode a reader
  never waits for the writer: it sees the last committed state, as a new transaction would.
- PostgreSQL (and SQLite in memory): one pooled connection, the pre-compiled statement, no
  transaction kept open (the pool's reset ends it).

Values come back as the columns' types give them (their result processors applied), the key is
bound as its column's type binds it. Nothing here writes; a caller that must read its own writes
of the same request uses its session.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Table, bindparam, select
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from junheng_kit.db import READ_ONLY

BUSY_TIMEOUT_MS = 5000


class PointRead:
    """`SELECT <columns> FROM <table> WHERE <key> = ?`, as a tuple or None."""

    def __init__(self, table: Table, key: str, columns: Sequence[str]) -> None:
        self.key: Column[Any] = table.c[key]
        self.columns: list[Column[Any]] = [table.c[name] for name in columns]
        self.statement = select(*self.columns).where(self.key == bindparam("key"))
        self._readers: weakref.WeakKeyDictionary[Any, _Reader] = weakref.WeakKeyDictionary()

    async def fetch(self, bind: AsyncEngine | AsyncConnection, key: Any) -> tuple[Any, ...] | None:
        """`bind`: what the service's sessions bind to (`sessionmaker.kw["bind"]`) — its engine,
        or a connection when a test holds every request in one transaction (then the read runs
        on that connection and sees what the test wrote)."""
        if isinstance(bind, AsyncConnection):
            row = (await bind.execute(self.statement, {"key": key})).first()
            return None if row is None else tuple(row)
        reader = self._readers.get(bind.sync_engine)
        if reader is None:
            reader = self._readers[bind.sync_engine] = self._reader_for(bind)
        return await reader.fetch(key)

    def _reader_for(self, engine: AsyncEngine) -> _Reader:
        dialect = engine.dialect
        if dialect.name == "sqlite":
            path = make_url(str(engine.url)).database
            if path and path != ":memory:" and "mode=memory" not in str(engine.url):
                return _SqliteReader(self, dialect, path)
        return _PooledReader(self, engine)

    def _processors(self, dialect: Dialect) -> tuple[Any, list[Any]]:
        bind = self.key.type.dialect_impl(dialect).bind_processor(dialect)
        results = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in self.columns
        ]
        return bind, results


class _Reader:
    async def fetch(self, key: Any) -> tuple[Any, ...] | None:
        raise NotImplementedError


class _SqliteReader(_Reader):
    def __init__(self, read: PointRead, dialect: Dialect, path: str) -> None:
        compiled = read.statement.compile(dialect=dialect)
        # positional `?` in the order the compiler names them (one: the key)
        self.sql = str(compiled)
        self.bind, self.results = read._processors(dialect)
        self.connection = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
        )
        self.connection.execute("PRAGMA query_only=ON")
        weakref.finalize(self, self.connection.close)

    async def fetch(self, key: Any) -> tuple[Any, ...] | None:
        value = self.bind(key) if self.bind is not None else key
        row = self.connection.execute(self.sql, (value,)).fetchone()
        if row is None:
            return None
        return tuple(p(v) if p is not None else v for p, v in zip(self.results, row, strict=True))


class _PooledReader(_Reader):
    def __init__(self, read: PointRead, engine: AsyncEngine) -> None:
        self.engine = engine
        self.statement = read.statement

    async def fetch(self, key: Any) -> tuple[Any, ...] | None:
        async with self.engine.connect() as connection:
            # a read: on SQLite a deferred transaction, not a place in the writers' queue
            await connection.execution_options(**{READ_ONLY: True})
            row = (await connection.execute(self.statement, {"key": key})).first()
        return None if row is None else tuple(row)
