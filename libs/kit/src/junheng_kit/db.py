"""Async SQLAlchemy: engines (SQLite WAL by default, PostgreSQL by URL) and the request session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic_core import from_json, to_json
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class KitBase(DeclarativeBase):
    """Declarative base for the kit's own tables (outbox, inbox, idempotency)."""

    metadata = new_metadata()


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _json_dumps(value: Any) -> str:
    return to_json(value).decode()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine with the pragmas every service relies on.

    SQLite: WAL, foreign keys, a busy timeout, and pysqlite's transaction handling replaced by an
    explicit BEGIN so SAVEPOINT (tests, nested use-cases) works.
    """
    kwargs.setdefault("json_serializer", _json_dumps)  # JSON columns: Rust encoder, not stdlib
    kwargs.setdefault("json_deserializer", from_json)
    if is_sqlite(url):
        engine = _create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(connection: Any) -> None:
            # writers take the lock up front (no read-then-upgrade deadlock); reads run in
            # parallel with them under WAL
            read_only = connection.get_execution_options().get(READ_ONLY, False)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return _create_async_engine(url, **kwargs)


try:  # the PostgreSQL driver's "server gone / not accepting connections" errors
    from asyncpg.exceptions import OperatorInterventionError, PostgresConnectionError

    _SERVER_UNAVAILABLE: tuple[type[BaseException], ...] = (
        PostgresConnectionError,  # connection refused mid-way, closed during a query
        OperatorInterventionError,  # shutting down, starting up, terminated by an admin
    )
except ImportError:  # pragma: no cover - asyncpg is a kit dependency
    _SERVER_UNAVAILABLE = ()


def is_database_unavailable(error: BaseException) -> bool:
    """True when `error` (or what caused it) says the database cannot be reached right now —
    connection refused or cut, server restarting, pool exhausted — not that the request is
    wrong. Such a request did not commit and may be retried: 503, never 500.

    A bare ConnectionError counts when it is the error itself (asyncpg raises the socket's
    ConnectionRefusedError) or a driver error's origin, not deep in another library's chain.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    direct = True
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, (sa_exc.TimeoutError, *_SERVER_UNAVAILABLE)):
            return True
        if direct and isinstance(current, ConnectionError):
            return True
        orig = getattr(current, "orig", None)
        if isinstance(current, sa_exc.DBAPIError) and isinstance(orig, BaseException):
            current, direct = orig, True
        else:
            current, direct = current.__cause__ or current.__context__, False
    return False


def create_sessionmaker(bind: Any) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(bind, expire_on_commit=False, autoflush=False)


READ_ONLY = "junheng_read_only"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def session_for_request(request: Request) -> AsyncIterator[AsyncSession]:
    """The request owns the transaction: commit when the endpoint returns, roll back otherwise.

    GET and HEAD open a plain (deferred) transaction; on SQLite that lets reads run beside a
    writer instead of queueing for the write lock.
    """
    async with request.app.state.sessionmaker() as session:
        if request.method in SAFE_METHODS:
            await session.connection(execution_options={READ_ONLY: True})
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        if wants_relay(session) and request.app.state.relay is not None:
            request.app.state.relay.wake()


EVENTS_STAGED = "junheng_events_staged"


def wants_relay(session: AsyncSession) -> bool:
    """True once after a session staged events: its owner wakes the relay after commit."""
    return bool(session.info.pop(EVENTS_STAGED, False))


# scope="function" commits before the response is sent; with the default scope a failed commit
# would still answer 201.
SessionDep = Annotated[AsyncSession, Depends(session_for_request, scope="function")]


def sync_url(url: str) -> str:
    """The synchronous driver URL for tools that need one (alembic offline checks)."""
    return url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every back end (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: use junheng_kit.timeutil.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value
