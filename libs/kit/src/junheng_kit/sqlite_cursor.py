"""SQLite statements in one trip to the connection's thread.

aiosqlite runs each connection on its own thread and every call is a trip there and back (a
queue put, a wake-up, `call_soon_threadsafe` and a future on the way back). SQLAlchemy's
aiosqlite cursor makes four per statement: open a cursor, execute, fetch all rows, close. Under
load these trips cost more of the event loop's time than the statements themselves. The cursor
here does all four in one function run on the connection's thread and keeps what the caller
reads afterwards (rows, description, rowcount, lastrowid), so a statement is one trip.

Server-side (streaming) cursors keep SQLAlchemy's own class.

This subclasses SQLAlchemy's private aiosqlite adapter (`INTERNALS` lists what it relies on),
written for SQLAlchemy 2.1 — libs/kit/pyproject.toml pins `>=2.1,<2.2`. tests of this module
check every name in `INTERNALS` and the one-trip behaviour, so an upgrade that changes them
fails there, by name, rather than in a service.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)

WRITTEN_FOR = (2, 1)  # SQLAlchemy major, minor
INTERNALS = {
    AsyncAdapt_aiosqlite_cursor: (
        "_adapt_connection",
        "_connection",
        "_cursor",
        "_rows",
        "_make_new_cursor",
        "_aenter_cursor",
        "_execute_async",
        "_executemany_async",
    ),
    AsyncAdapt_aiosqlite_connection: ("_cursor_cls", "_execute_mutex"),
}
"""SQLAlchemy's private names this module overrides or reads."""


class _Outcome:
    """What a finished statement left for the caller; stands where the driver's cursor was."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(self) -> None:
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def close(self) -> None:  # the real cursor closed on the connection's thread
        return None


def _run(
    connection: sqlite3.Connection, outcome: _Outcome, operation: Any, parameters: Any
) -> list[Any] | None:
    cursor = connection.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        outcome.description = description
        outcome.rowcount = cursor.rowcount
        outcome.lastrowid = cursor.lastrowid
        return rows
    finally:
        cursor.close()


def _run_many(
    connection: sqlite3.Connection, outcome: _Outcome, operation: Any, seq: Sequence[Any]
) -> None:
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, seq)
        outcome.description = cursor.description
        outcome.rowcount = cursor.rowcount
        outcome.lastrowid = cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's aiosqlite cursor with each statement run in one trip to the thread."""

    __slots__ = ()

    def _make_new_cursor(self, connection: Any) -> Any:
        return _Outcome()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            driver = self._connection
            rows = await driver._execute(_run, driver._conn, self._cursor, operation, parameters)
            if rows is not None:
                self._rows = collections.deque(rows)
            return self

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            driver = self._connection
            await driver._execute(
                _run_many, driver._conn, self._cursor, operation, seq_of_parameters
            )
            return self


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    _cursor_cls = OneTripCursor


def one_trip_statements(dbapi_connection: Any) -> None:
    """Give a pooled aiosqlite connection (SQLAlchemy's adapter) the one-trip cursor."""
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = OneTripConnection
