"""Every query of the award workflow."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Row, Table, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.models import (
    Award,
    AwardHistory,
    Disbursement,
    DisbursementItem,
    Objection,
    PublicityBatch,
    StatusNotice,
    StudentTransfer,
    WorkCalendar,
)
from assistance.programmes.models import ProgrammeStandard
from assistance.students.models import Student
from junheng_kit.auth import Jurisdiction
from junheng_kit.bulk_insert import insert_columns
from junheng_kit.pagination import fetch_limit
from junheng_kit.problems import NotFound

CHUNK = 2000
IN_CHUNK = 10_000  # ids bound per IN (…): below SQLite's 32,766 and asyncpg's 32,767 parameters
AWARD = cast(Table, Award.__table__)
AWARD_HISTORY = cast(Table, AwardHistory.__table__)


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def student_places(session: AsyncSession, ids: Iterable[UUID]) -> dict[UUID, Row[Any]]:
    """id → (id, county_code, school_code, level, boarding, status) for the given students."""
    wanted = list(set(ids))  # no sort: UUID comparisons are slow in Python
    found: dict[UUID, Row[Any]] = {}
    for chunk in _chunks(wanted, IN_CHUNK):
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
    wanted = set(keys)
    students = list({k[0] for k in wanted})
    found: set[tuple[UUID, str, int]] = set()
    for chunk in _chunks(students, IN_CHUNK):
        rows = await session.execute(
            select(Award.student_id, Award.programme_code, Award.school_year).where(
                Award.student_id.in_(chunk)
            )
        )
        found.update((r[0], r[1], r[2]) for r in rows)
    return found & wanted


async def insert_award_columns(
    session: AsyncSession,
    awards: Mapping[str, Sequence[Any]],
    history: Mapping[str, Sequence[Any]],
) -> None:
    """Awards and their first history rows given as columns: one driver executemany per chunk
    (the kit's column-wise insert: each column's bind processor runs once over the column)."""
    connection = await session.connection()
    await insert_columns(connection, AWARD, awards)
    await insert_columns(connection, AWARD_HISTORY, history)


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


def visible_award(within: Jurisdiction) -> Any:
    """An award is seen by its own county and by the student's current county (异地 history)."""
    return or_(within.covers(Award.county_code), within.covers(Student.county_code))


async def award_with_student(
    session: AsyncSession, award_id: UUID, *, within: Jurisdiction, for_update: bool = False
) -> tuple[Award, Student]:
    query = (
        select(Award, Student)
        .join(Student, Student.id == Award.student_id)
        .where(Award.id == award_id, visible_award(within))
    )
    if for_update:
        query = query.with_for_update(of=Award)
    row = (await session.execute(query)).first()
    if row is None:  # another county's award is "not found" too
        raise NotFound(f"award {award_id} not found")
    return row[0], row[1]


async def awards_page(
    session: AsyncSession,
    *,
    within: Jurisdiction,
    filters: Mapping[str, Any],
    after: UUID | None,
    limit: int,
) -> Sequence[tuple[Award, Student]]:
    query = (
        select(Award, Student)
        .join(Student, Student.id == Award.student_id)
        .where(visible_award(within))
        .order_by(Award.id)
        .limit(fetch_limit(limit))
    )
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(Award, name) == value)
    if after is not None:
        query = query.where(Award.id > after)
    return (await session.execute(query)).all()


async def awards_by_ids(
    session: AsyncSession, ids: Sequence[UUID], *, within: Jurisdiction
) -> list[tuple[Award, Student]]:
    found: list[tuple[Award, Student]] = []
    for chunk in _chunks(sorted(set(ids))):
        rows = await session.execute(
            select(Award, Student)
            .join(Student, Student.id == Award.student_id)
            .where(Award.id.in_(chunk), visible_award(within))
        )
        found.extend((a, s) for a, s in rows)
    return found


async def reviewed_awards(
    session: AsyncSession, county_code: str, school_code: str | None
) -> list[tuple[Award, Student]]:
    query = (
        select(Award, Student)
        .join(Student, Student.id == Award.student_id)
        .where(
            Award.county_code == county_code,
            Award.status == "reviewed",
            Award.publicity_batch_id.is_(None),
        )
        .order_by(Award.school_code, Award.id)
    )
    if school_code is not None:
        query = query.where(Award.school_code == school_code)
    return [(a, s) for a, s in (await session.execute(query))]


async def batch_awards(session: AsyncSession, batch_id: UUID) -> list[tuple[Award, Student]]:
    rows = await session.execute(
        select(Award, Student)
        .join(Student, Student.id == Award.student_id)
        .where(Award.publicity_batch_id == batch_id)
        .order_by(Award.school_code, Award.id)
    )
    return [(a, s) for a, s in rows]


async def history_of(session: AsyncSession, award_id: UUID) -> Sequence[AwardHistory]:
    query = select(AwardHistory).where(AwardHistory.award_id == award_id).order_by(AwardHistory.id)
    return (await session.scalars(query)).all()


async def standard(session: AsyncSession, standard_id: UUID) -> ProgrammeStandard:
    row = await session.get(ProgrammeStandard, standard_id)
    assert row is not None  # award.standard_id is a foreign key
    return row


async def batch(session: AsyncSession, batch_id: UUID, *, within: Jurisdiction) -> PublicityBatch:
    row = await session.scalar(
        select(PublicityBatch).where(
            PublicityBatch.id == batch_id, within.covers(PublicityBatch.county_code)
        )
    )
    if row is None:
        raise NotFound(f"publicity batch {batch_id} not found")
    return row


async def batches_of(session: AsyncSession, ids: set[UUID]) -> dict[UUID, PublicityBatch]:
    rows = await session.scalars(select(PublicityBatch).where(PublicityBatch.id.in_(ids)))
    return {b.id: b for b in rows}


async def open_objections(session: AsyncSession, award_ids: Sequence[UUID]) -> set[UUID]:
    found: set[UUID] = set()
    for chunk in _chunks(sorted(set(award_ids))):
        rows = await session.scalars(
            select(Objection.award_id).where(
                Objection.award_id.in_(chunk), Objection.status == "open"
            )
        )
        found.update(rows)
    return found


async def objections_of(session: AsyncSession, batch_id: UUID) -> Sequence[Objection]:
    query = select(Objection).where(Objection.batch_id == batch_id).order_by(Objection.created_at)
    return (await session.scalars(query)).all()


async def objection(
    session: AsyncSession, objection_id: UUID, *, within: Jurisdiction
) -> Objection:
    row = await session.scalar(
        select(Objection)
        .join(PublicityBatch, PublicityBatch.id == Objection.batch_id)
        .where(Objection.id == objection_id, within.covers(PublicityBatch.county_code))
    )
    if row is None:
        raise NotFound(f"objection {objection_id} not found")
    return row


async def notices_of_awards(
    session: AsyncSession, award_ids: Sequence[UUID]
) -> dict[UUID, list[StatusNotice]]:
    found: dict[UUID, list[StatusNotice]] = {}
    for chunk in _chunks(sorted(set(award_ids))):
        rows = await session.scalars(select(StatusNotice).where(StatusNotice.award_id.in_(chunk)))
        for notice in rows:
            assert notice.award_id is not None
            found.setdefault(notice.award_id, []).append(notice)
    return found


async def notices(
    session: AsyncSession, *, within: Jurisdiction, filters: dict[str, Any]
) -> Sequence[StatusNotice]:
    query = (
        select(StatusNotice)
        .where(within.covers(StatusNotice.county_code))
        .order_by(StatusNotice.created_at)
        .limit(1000)
    )
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(StatusNotice, name) == value)
    return (await session.scalars(query)).all()


async def notice(session: AsyncSession, notice_id: UUID, *, within: Jurisdiction) -> StatusNotice:
    row = await session.scalar(
        select(StatusNotice).where(
            StatusNotice.id == notice_id, within.covers(StatusNotice.county_code)
        )
    )
    if row is None:
        raise NotFound(f"notice {notice_id} not found")
    return row


async def disbursement(
    session: AsyncSession, disbursement_id: UUID, *, within: Jurisdiction
) -> tuple[Disbursement, Sequence[DisbursementItem]]:
    row = await session.scalar(
        select(Disbursement).where(
            Disbursement.id == disbursement_id, within.covers(Disbursement.county_code)
        )
    )
    if row is None:
        raise NotFound(f"disbursement {disbursement_id} not found")
    items = await session.scalars(
        select(DisbursementItem)
        .where(DisbursementItem.disbursement_id == row.id)
        .order_by(DisbursementItem.id)
    )
    return row, items.all()


async def student(session: AsyncSession, student_id: UUID) -> Student:
    row = await session.get(Student, student_id)
    if row is None:
        raise NotFound(f"student {student_id} not found")
    return row


async def transfers_of(session: AsyncSession, student_id: UUID) -> Sequence[StudentTransfer]:
    query = (
        select(StudentTransfer)
        .where(StudentTransfer.student_id == student_id)
        .order_by(StudentTransfer.created_at)
    )
    return (await session.scalars(query)).all()


async def calendars(session: AsyncSession, years: Sequence[int]) -> Sequence[WorkCalendar]:
    query = select(WorkCalendar).where(WorkCalendar.year.in_(sorted(set(years))))
    return (await session.scalars(query)).all()
