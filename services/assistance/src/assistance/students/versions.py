"""Roster versions: every write to a county's `student` rows bumps `roster_version` in the same
transaction, so a snapshot of the roster (the 应助尽助 job's) knows when it went stale.

Two paths cover every writer:
- ORM changes (registration, admission events, transfers, any later edit through a `Student`
  object): an `after_flush` listener bumps the county a new, changed or deleted `Student` is in,
  and the county it left (transfers);
- Core statements on the `student` table (the import's bulk insert and update): the
  repository calls `bump` with the counties it wrote.
The counter is an upsert (`version = version + 1`), so concurrent writers serialise on the
county's row (counties in sorted order: no deadlock between two writers of two counties).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import Any, cast

from sqlalchemy import Connection, Table, event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from assistance.students.models import RosterVersion, Student
from junheng_kit.timeutil import utcnow

ROSTER_VERSION = cast(Table, RosterVersion.__table__)


def _upsert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ROSTER_VERSION)
    return statement.on_conflict_do_update(
        index_elements=[ROSTER_VERSION.c.county_code],
        set_={
            "version": ROSTER_VERSION.c.version + 1,
            "changed_at": statement.excluded.changed_at,
        },
    )


def _rows(counties: Iterable[str]) -> list[dict[str, Any]]:
    now = utcnow()
    return [{"county_code": c, "version": 1, "changed_at": now} for c in sorted(set(counties))]


def bump_on(connection: Connection, counties: Iterable[str]) -> None:
    """Bump the counties' roster versions on a (sync) connection, one row per county."""
    for row in _rows(counties):
        connection.execute(_upsert(connection.dialect.name), row)


async def bump(session: AsyncSession, counties: Iterable[str]) -> None:
    """Bump the counties' roster versions in the session's transaction (Core writers)."""
    connection = await session.connection()
    for row in _rows(counties):
        await connection.execute(_upsert(connection.dialect.name), row)


def _touched_counties(session: Session) -> set[str]:
    counties: set[str] = set()
    for instance in chain(session.new, session.dirty, session.deleted):
        if not isinstance(instance, Student):
            continue
        if instance in session.dirty and not session.is_modified(instance):
            continue
        counties.add(instance.county_code)
        left = inspect(instance).attrs.county_code.history.deleted  # a transfer's old county
        counties.update(c for c in left if c)
    return counties


@event.listens_for(Session, "after_flush")
def _bump_after_flush(session: Session, _: UOWTransaction) -> None:
    counties = _touched_counties(session)
    if counties:
        bump_on(session.connection(), counties)
