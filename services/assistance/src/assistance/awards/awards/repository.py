"""Every query of the award itself: awards, their history, the students and standards they
are priced on."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Row, Table, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.awards.models import Award, AwardHistory
from assistance.awards.awards.rules import AwardStatus
from assistance.programmes.models import ProgrammeStandard
from assistance.students.models import Student
from junheng_kit.auth import Jurisdiction
from junheng_kit.bulk_insert import insert_columns
from junheng_kit.i18n import t
from junheng_kit.pagination import fetch_limit
from junheng_kit.problems import FieldError, NotFound

CHUNK = 2000
IN_CHUNK = 10_000  # ids bound per IN (…): below SQLite's 32,766 and asyncpg's 32,767 parameters
AWARD = cast(Table, Award.__table__)
AWARD_HISTORY = cast(Table, AwardHistory.__table__)


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def student_places(session: AsyncSession, ids: Iterable[UUID]) -> dict[UUID, Row[Any]]:
    """id → (id, county_code, school_code, level, boarding, status) for the given students."""
    wanted = list(set(ids))  # no sort: UUID comparisons are slow in Python
    found: dict[UUID, Row[Any]] = {}
    for chunk in chunks(wanted, IN_CHUNK):
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
    for chunk in chunks(students, IN_CHUNK):
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


async def mark_priority(
    session: AsyncSession,
    *,
    county_code: str,
    school_year: int,
    served_first: Mapping[str, Collection[UUID]],
) -> int:
    """`priority` of the county's awards of the year: true for the students `served_first`
    names under each programme, false for every other award; only rows that change are
    written. Returns how many awards are marked."""
    of_year = (Award.county_code == county_code, Award.school_year == school_year)
    marked: set[UUID] = set()
    for code, students in served_first.items():
        for chunk in chunks(list(students), IN_CHUNK):
            rows = await session.execute(
                select(Award.id).where(
                    *of_year, Award.programme_code == code, Award.student_id.in_(chunk)
                )
            )
            marked.update(row[0] for row in rows)
    current = set((await session.scalars(select(Award.id).where(*of_year, Award.priority))).all())
    for value, ids in ((True, marked - current), (False, current - marked)):
        for chunk in chunks(list(ids), IN_CHUNK):
            await session.execute(update(Award).where(Award.id.in_(chunk)).values(priority=value))
    return len(marked)


async def open_awards_of(session: AsyncSession, student_ids: Iterable[UUID]) -> Sequence[Row[Any]]:
    """(id, student_id, category, status) of awards not rejected, of these students."""
    wanted = sorted(set(student_ids))
    out: list[Any] = []
    for chunk in chunks(wanted):
        rows = await session.execute(
            select(Award.id, Award.student_id, Award.category, Award.status).where(
                Award.student_id.in_(chunk), Award.status != AwardStatus.REJECTED.value
            )
        )
        out.extend(rows.all())
    return out


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
        raise NotFound(t(f"资助 {award_id} 不存在", f"award {award_id} not found"))
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
    for chunk in chunks(sorted(set(ids))):
        rows = await session.execute(
            select(Award, Student)
            .join(Student, Student.id == Award.student_id)
            .where(Award.id.in_(chunk), visible_award(within))
        )
        found.extend((a, s) for a, s in rows)
    return found


async def history_of(session: AsyncSession, award_id: UUID) -> Sequence[AwardHistory]:
    query = select(AwardHistory).where(AwardHistory.award_id == award_id).order_by(AwardHistory.id)
    return (await session.scalars(query)).all()


async def standard(session: AsyncSession, standard_id: UUID) -> ProgrammeStandard:
    row = await session.get(ProgrammeStandard, standard_id)
    assert row is not None  # award.standard_id is a foreign key
    return row


async def student(session: AsyncSession, student_id: UUID, *problem: FieldError) -> Student:
    """The student, whatever their county (the caller checks the jurisdiction: 403, not 404)."""
    row = await session.get(Student, student_id)
    if row is None:
        raise NotFound(t(f"学生 {student_id} 不存在", f"student {student_id} not found"), *problem)
    return row
