"""Every query of the award workflow."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.models import Award, AwardHistory, StatusNotice
from assistance.students.models import Student

CHUNK = 2000


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


async def student_places(session: AsyncSession, ids: Iterable[UUID]) -> dict[UUID, Row[Any]]:
    """id → (id, county_code, school_code, level, boarding, status) for the given students."""
    wanted = sorted(set(ids))
    found: dict[UUID, Row[Any]] = {}
    for chunk in _chunks(wanted):
        rows = await session.execute(
            select(
                Student.id,
                Student.county_code,
                Student.school_code,
                Student.level,
                Student.boarding,
                Student.status,
            ).where(Student.id.in_(chunk))
        )
        found.update({row.id: row for row in rows})
    return found


async def existing_award_keys(
    session: AsyncSession, keys: Iterable[tuple[UUID, str, int]]
) -> set[tuple[UUID, str, int]]:
    """Which (student, programme, school year) already have an award."""
    wanted = sorted(set(keys))
    found: set[tuple[UUID, str, int]] = set()
    for chunk in _chunks(wanted):
        students = {k[0] for k in chunk}
        rows = await session.execute(
            select(Award.student_id, Award.programme_code, Award.school_year).where(
                Award.student_id.in_(students)
            )
        )
        found.update((r[0], r[1], r[2]) for r in rows)
    return found & set(wanted)


async def insert_awards(
    session: AsyncSession, awards: Sequence[dict[str, Any]], history: Sequence[dict[str, Any]]
) -> None:
    """Multi-row INSERTs in the caller's transaction (set-based: no ORM object per award)."""
    for chunk in _chunks(awards):
        await session.execute(insert(Award), chunk)
    for chunk in _chunks(history):
        await session.execute(insert(AwardHistory), chunk)


async def open_awards_of(session: AsyncSession, student_ids: Iterable[UUID]) -> Sequence[Row[Any]]:
    """(id, student_id, category, status) of awards not rejected, of these students."""
    wanted = sorted(set(student_ids))
    out: list[Any] = []
    for chunk in _chunks(wanted):
        rows = await session.execute(
            select(Award.id, Award.student_id, Award.category, Award.status).where(
                Award.student_id.in_(chunk), Award.status != "rejected"
            )
        )
        out.extend(rows.all())
    return out


async def pending_notice_keys(
    session: AsyncSession, student_ids: Iterable[UUID]
) -> set[tuple[UUID, UUID | None, str, str]]:
    """(student, award, category, change) of notices still open or under appeal."""
    wanted = sorted(set(student_ids))
    found: set[tuple[UUID, UUID | None, str, str]] = set()
    for chunk in _chunks(wanted):
        rows = await session.execute(
            select(
                StatusNotice.student_id,
                StatusNotice.award_id,
                StatusNotice.category,
                StatusNotice.change,
            ).where(
                StatusNotice.student_id.in_(chunk),
                StatusNotice.status.in_(("open", "appealed")),
            )
        )
        found.update((r[0], r[1], r[2], r[3]) for r in rows)
    return found


async def insert_notices(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        await session.execute(insert(StatusNotice), chunk)
