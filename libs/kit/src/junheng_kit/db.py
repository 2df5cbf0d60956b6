"""Async SQLAlchemy: engines (SQLite WAL by default, PostgreSQL by URL) and the request session."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic_core import from_json, to_json
from sqlalchemy import DateTime, MetaData, event, make_url
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util.concurrency import await_, in_greenlet

from junheng_kit.sqlite_cursor import one_trip_statements

log = logging.getLogger("junheng.db")

NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}


_KNOWN_METADATA: weakref.WeakSet[MetaData] = weakref.WeakSet()


def new_metadata() -> MetaData:
    """A MetaData with the naming convention, remembered so that an integrity error can be traced
    to the constraint and what its violation answers (`junheng_kit.integrity`)."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    _KNOWN_METADATA.add(metadata)
    return metadata


def known_metadata() -> list[MetaData]:
    """Every MetaData `new_metadata` made in this process: the kit's and the service's tables."""
    return list(_KNOWN_METADATA)


class KitBase(DeclarativeBase):
    """Declarative base for the kit's own tables (outbox, inbox, idempotency)."""

    metadata = new_metadata()


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _json_dumps(value: Any) -> str:
    return to_json(value).decode()


class WriterGate:
    """One SQLite writer at a time inside this process, in arrival order.

    SQLite lets one transaction write; the others wait in its busy handler, which polls with
    sleeps of 1, 2, 5 … 100 ms. A request whose BEGIN IMMEDIATE meets a held lock (the outbox
    relay marking events sent, the idempotency record of the previous answer) sleeps although the
    lock is free a millisecond later. The gate queues this process's write transactions on an
    asyncio lock instead, so the next one starts the moment the previous one commits. SQLite's
    own lock still decides (other processes, tools); the gate only removes the polling. Waiting
    for it is bounded by the busy timeout: after that the transaction goes on to SQLite as
    before, so a holder that never releases (a cancelled task's connection awaiting garbage
    collection) slows writers, never stops them.
    """

    HELD = "junheng_writer_gate"

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self.waited = 0  # transactions that queued behind another (tests read it)

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def _acquire(self) -> asyncio.Lock | None:
        lock = self._lock()
        if lock.locked():
            self.waited += 1
        try:
            await asyncio.wait_for(lock.acquire(), self.timeout)
        except TimeoutError:
            log.warning("writer gate: waited %.0f s, going on to SQLite's lock", self.timeout)
            return None
        return lock

    def enter(self, info: dict[str, Any]) -> None:
        """Called as a write transaction begins on a connection (inside SQLAlchemy's greenlet)."""
        if info.get(self.HELD) is not None or not in_greenlet():
            return
        lock = await_(self._acquire())
        if lock is not None:
            info[self.HELD] = lock

    def leave(self, info: dict[str, Any] | None) -> None:
        """Called once the connection's transaction has ended (commit, rollback, close)."""
        lock = info.pop(self.HELD, None) if info is not None else None
        if lock is not None and lock.locked():
            lock.release()


def _gate_sqlite_writers(engine: AsyncEngine, gate: WriterGate) -> None:
    """Hook the gate into an engine: taken at BEGIN IMMEDIATE, given back after COMMIT or
    ROLLBACK has run (the pool's rollback on check-in included), or when the connection closes."""
    dialect = engine.sync_engine.dialect

    def _info(dbapi_connection: Any) -> dict[str, Any] | None:
        try:  # the pool's proxy carries its record's info; a bare first-connect one has none
            info = dbapi_connection.info
        except (AttributeError, NotImplementedError):
            return None
        return info if isinstance(info, dict) else None

    def _after(method: Any) -> Any:
        def wrapped(dbapi_connection: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(dbapi_connection, *args, **kwargs)
            finally:
                gate.leave(_info(dbapi_connection))

        return wrapped

    dialect.do_commit = _after(dialect.do_commit)  # type: ignore[method-assign]
    dialect.do_rollback = _after(dialect.do_rollback)  # type: ignore[method-assign]

    # a connection that leaves without either (returned, closed, invalidated) gives it back too
    @event.listens_for(engine.sync_engine, "checkin")
    @event.listens_for(engine.sync_engine, "close")
    def _returned(_dbapi: Any, record: Any) -> None:
        gate.leave(getattr(record, "info", None))

    @event.listens_for(engine.sync_engine, "invalidate")
    def _invalidated(_dbapi: Any, record: Any, _exc: Any) -> None:
        gate.leave(getattr(record, "info", None))

    engine.sync_engine.dialect.junheng_writer_gate = gate  # type: ignore[attr-defined]


def writer_gate(engine: AsyncEngine) -> WriterGate | None:
    """The engine's SQLite writer gate (None for PostgreSQL)."""
    return getattr(engine.sync_engine.dialect, "junheng_writer_gate", None)


BUSY_TIMEOUT_S = 30


def _sqlite_file(url: str) -> bool:
    """A database file (pooled), not memory (SQLAlchemy gives those a single static connection)."""
    parsed = make_url(url)
    return parsed.database not in (None, "", ":memory:") and "memory" not in str(
        parsed.query.get("mode", "")
    )


SQLITE_POOL_SIZE = 64


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine with the pragmas every service relies on.

    SQLite: WAL, foreign keys, a busy timeout, pysqlite's transaction handling replaced by an
    explicit BEGIN so SAVEPOINT (tests, nested use-cases) works, this process's writers
    queued on a `WriterGate` rather than SQLite's sleeping busy handler, and each statement run
    in one trip to the connection's thread (`junheng_kit.sqlite_cursor`).
    """
    kwargs.setdefault("json_serializer", _json_dumps)  # JSON columns: Rust encoder, not stdlib
    kwargs.setdefault("json_deserializer", from_json)
    if is_sqlite(url):
        if "poolclass" not in kwargs and _sqlite_file(url):
            # one connection per request in flight, kept: a connection beyond the pool is opened
            # (a thread, the pragmas) and closed for each request, which cost more CPU than the
            # request itself at 64 concurrent clients. Opened lazily: an idle service holds few.
            kwargs.setdefault("pool_size", SQLITE_POOL_SIZE)
            kwargs.setdefault("max_overflow", SQLITE_POOL_SIZE)
        engine = _create_async_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S}, **kwargs)
        gate = WriterGate(BUSY_TIMEOUT_S)
        _gate_sqlite_writers(engine, gate)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _: Any) -> None:
            one_trip_statements(dbapi_connection)
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(connection: Any) -> None:
            # writers take the lock up front (no read-then-upgrade deadlock); reads run in
            # parallel with them under WAL
            read_only = connection.get_execution_options().get(READ_ONLY, False)
            if not read_only:
                gate.enter(connection.connection.info)
            try:
                connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
            except BaseException:
                gate.leave(connection.connection.info)
                raise

        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 5)
        kwargs.setdefault("max_overflow", 5)
    engine = _create_async_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        ping_after_idle(engine, PING_AFTER_IDLE_SECONDS)
    return engine


PING_AFTER_IDLE_SECONDS = 5.0


def ping_after_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Pessimistic disconnect handling where it pays: a pooled PostgreSQL connection that has
    been back in the pool for `idle_seconds` or more is pinged before it is handed out (a
    restarted server, a pooler or a firewall that dropped an idle connection), one used
    moments ago is not. SQLAlchemy's `pool_pre_ping` pings at every checkout — BEGIN, a query
    and ROLLBACK, three round trips — which was about a fifth of a busy replica's writes to
    PostgreSQL (cluster bench, 2026-12). A connection that fails anyway (the server restarted
    within those seconds) fails its first statement as a disconnect: SQLAlchemy invalidates it
    and every connection older than it, and the request answers 503 like one in flight
    during the restart (`is_database_unavailable`)."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new, or in use moments ago
        try:
            dbapi_connection.ping()
        except Exception as exc:  # the pool replaces it and tries again
            raise sa_exc.DisconnectionError(str(exc)) from exc


async def open_engine(settings: Any) -> AsyncEngine:
    """The engine a process starts with: SQLite's folder made, PostgreSQL's pool checked against
    the role's connection limit (`check_pool_budget`; over it the process refuses to start)."""
    if is_sqlite(settings.database_url):
        path = settings.database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = engine_for(settings)
    try:
        await check_pool_budget(engine, settings)
    except PoolTooLarge as error:
        log.error("%s refuses to start: %s", settings.service_name, error)
        await engine.dispose()
        raise
    return engine


def engine_for(settings: Any) -> AsyncEngine:
    """The engine a process opens from its settings (pool sizes for PostgreSQL)."""
    if is_sqlite(settings.database_url):
        return create_engine(settings.database_url)
    return create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
    )


class PoolTooLarge(RuntimeError):
    """replicas × connections per replica exceed what PostgreSQL allows this role."""


async def check_pool_budget(engine: AsyncEngine, settings: Any) -> dict[str, int] | None:
    """At start-up on PostgreSQL: the deployment's replicas × (pool + overflow) must fit the
    role's CONNECTION LIMIT (deploy/ sets one per service role), or, for a role without one,
    the server's `max_connections` less its reserved connections. Over the budget the process
    refuses to start (`PoolTooLarge`, one line saying what to change) instead of failing later
    with "too many connections" under load. Returns the figures checked (None on SQLite)."""
    if engine.dialect.name != "postgresql":
        return None
    try:
        async with engine.connect() as connection:
            row = (
                await connection.exec_driver_sql(
                    "SELECT r.rolconnlimit, current_setting('max_connections')::int, "
                    "current_setting('superuser_reserved_connections')::int, current_user "
                    "FROM pg_roles r WHERE r.rolname = current_user"
                )
            ).one()
    except Exception as error:
        if not is_database_unavailable(error):
            raise
        # the database restarts as the process starts: serve (503 until it is back, /readyz
        # says so) rather than exit; the budget is checked at the next start
        log.warning("db.pool_budget_unchecked: the database is unreachable")
        return None
    values: tuple[Any, ...] = tuple(row)
    role_limit, max_connections, reserved = int(values[0]), int(values[1]), int(values[2])
    role = str(values[3])
    per_replica = settings.db_pool_size + settings.db_max_overflow
    needed = settings.replicas * per_replica
    budget = role_limit if role_limit >= 0 else max_connections - reserved
    figures = {"needed": needed, "budget": budget, "per_replica": per_replica}
    if needed > budget:
        prefix = type(settings).model_config.get("env_prefix", "")
        where = (
            f"role {role}'s CONNECTION LIMIT {role_limit}"
            if role_limit >= 0
            else f"max_connections {max_connections} less {reserved} reserved"
        )
        raise PoolTooLarge(
            f"{settings.replicas} replicas ({prefix}REPLICAS) × {per_replica} connections "
            f"({prefix}DB_POOL_SIZE {settings.db_pool_size} + {prefix}DB_MAX_OVERFLOW "
            f"{settings.db_max_overflow}) = {needed} exceed {where}: lower the pool, or raise "
            "the limit (docs/deploy.md, Sizing pools)"
        )
    if role_limit < 0:
        log.warning(
            "db.role_without_connection_limit: replicas of every service share max_connections",
            extra={"role": role, **figures},
        )
    return figures


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


def insert_ignoring_conflicts(session: AsyncSession, table: Any, *key: str) -> Any:
    """`INSERT … ON CONFLICT (key) DO NOTHING` for the session's database (SQLite or
    PostgreSQL): rows whose key another transaction holds are skipped, not refused — waiting
    for that transaction first, so a row it commits is then there."""
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing(index_elements=list(key))


def create_sessionmaker(bind: Any) -> async_sessionmaker[AsyncSession]:
    """Sessions that run the reactions to recorded domain events before they commit
    (`junheng_kit.reactions`)."""
    from junheng_kit.reactions import ReactingSession  # it imports nothing of this module

    return async_sessionmaker(bind, class_=ReactingSession, expire_on_commit=False, autoflush=False)


READ_ONLY = "junheng_read_only"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def session_for_request(request: Request) -> AsyncIterator[AsyncSession]:
    """The request owns the transaction: commit when the endpoint returns, roll back otherwise.

    GET and HEAD open a plain (deferred) transaction; on SQLite that lets reads run beside a
    writer instead of queueing for the write lock.

    A POST that holds an Idempotency-Key claim (junheng_kit.idempotency) hands its open
    transaction to the Idempotency middleware instead of committing: the middleware writes the
    answer into the claim and commits both together, before the answer is sent.
    """
    claim = request.scope.get("state", {}).get(IDEMPOTENCY_CLAIM)
    if claim is not None and request.method not in SAFE_METHODS:
        session = request.app.state.sessionmaker()
        try:
            yield session
            await session.flush()
        except BaseException:
            await session.rollback()
            await session.close()
            raise
        claim.session = session
        return
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


IDEMPOTENCY_CLAIM = "junheng_idempotency_claim"  # = junheng_kit.idempotency.CLAIM_STATE


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
