"""Every query of the student roster."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    delete,
    false,
    func,
    insert,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.schools.models import School
from assistance.students import versions
from assistance.students.models import (
    PendingPlacement,
    Student,
    citizen_id_index,
    student_number_index,
)
from assistance.students.policy import ScopeBound
from assistance.students.rules import GradeCount, SchoolFacts
from assistance.students.schemas import Level, StudentStatus
from junheng_kit.auth import Jurisdiction
from junheng_kit.i18n import t
from junheng_kit.pagination import fetch_limit
from junheng_kit.problems import NotFound

STUDENT = cast(Table, Student.__table__)  # Core statements: no ORM bookkeeping per row
CHUNK = 2000
IN_CHUNK = 900  # bound parameters per IN list (SQLite allows 32,766; keep statements small)


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(frozen=True, slots=True)
class Existing:
    id: UUID
    county_code: str
    version: int
    student_number: str | None


@dataclass
class StudentRepository:
    session: AsyncSession

    async def schools(self, codes: Iterable[str]) -> dict[str, SchoolFacts]:
        """The school copy's county and levels of each known code."""
        found: dict[str, SchoolFacts] = {}
        for part in chunks(sorted(set(codes)), IN_CHUNK):
            rows = await self.session.execute(
                select(School.school_code, School.county_code, School.levels).where(
                    School.school_code.in_(part)
                )
            )
            for code, county, levels in rows:
                found[code] = SchoolFacts(county, frozenset(levels))
        return found

    async def existing(self, citizen_ids: Sequence[str]) -> dict[str, Existing]:
        """The roster rows of these IDs, by ID: found by their blind indexes (the IDs are stored
        encrypted); only a stored 学籍号 is decrypted."""
        by_index = {citizen_id_index(c): c for c in set(citizen_ids)}
        found: dict[str, Existing] = {}
        for part in chunks(sorted(by_index), IN_CHUNK):
            rows = await self.session.execute(
                select(
                    Student.citizen_id_index,
                    Student.id,
                    Student.county_code,
                    Student.version,
                    Student.student_number,
                ).where(Student.citizen_id_index.in_(part))
            )
            for index, student_id, county, version, number in rows:
                found[by_index[index]] = Existing(student_id, county, version, number)
        return found

    async def holders(self, student_numbers: Sequence[str]) -> dict[str, str]:
        """学籍号 → the citizen ID of the roster row that holds it, for those on the roster
        (found by the numbers' blind indexes; the holders' IDs decrypted)."""
        by_index = {student_number_index(n): n for n in set(student_numbers)}
        found: dict[str, str] = {}
        for part in chunks(sorted(by_index), IN_CHUNK):
            rows = await self.session.execute(
                select(Student.student_number_index, Student.citizen_id).where(
                    Student.student_number_index.in_(part)
                )
            )
            for index, citizen_id in rows:
                if index is not None:  # the IN list matched it: never null
                    found[by_index[index]] = citizen_id
        return found

    async def pending(self, keys: Sequence[str]) -> dict[str, PendingPlacement]:
        found: dict[str, PendingPlacement] = {}
        for part in chunks(sorted(set(keys)), IN_CHUNK):
            for placement in await self.session.scalars(
                select(PendingPlacement).where(PendingPlacement.student_key.in_(part))
            ):
                found[placement.student_key] = placement
        return found

    async def drop_pending(self, keys: Sequence[str]) -> None:
        for part in chunks(sorted(set(keys)), IN_CHUNK):
            await self.session.execute(
                delete(PendingPlacement).where(PendingPlacement.student_key.in_(part))
            )

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> None:
        for part in chunks(rows):
            await self.session.execute(insert(STUDENT), part)
        await versions.bump(self.session, {str(row["county_code"]) for row in rows})

    async def update_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Rows keyed `b_<column>` with `b_id` naming the student."""
        if not rows:
            return
        fields = [k.removeprefix("b_") for k in rows[0] if k != "b_id"]
        statement = (
            update(STUDENT)
            .where(STUDENT.c.id == bindparam("b_id"))
            .values({f: bindparam(f"b_{f}") for f in fields})
        )
        # the counties the rows are in now and (a move within the caller's jurisdiction) will be
        counties = {str(row["b_county_code"]) for row in rows if "b_county_code" in row}
        for part in chunks([row["b_id"] for row in rows], IN_CHUNK):
            counties.update(
                await self.session.scalars(
                    select(Student.county_code).where(Student.id.in_(part)).distinct()
                )
            )
        for part in chunks(rows):
            await self.session.execute(statement, part)
        await versions.bump(self.session, counties)

    async def get(self, student_id: UUID, *, within: Jurisdiction) -> Student:
        student = await self.session.scalar(
            select(Student).where(Student.id == student_id, within.covers(Student.county_code))
        )
        if student is None:  # another county's student is "not found" too
            raise NotFound(t(f"学生 {student_id} 不存在", f"student {student_id} not found"))
        return student

    async def by_key(self, key: str) -> Student | None:
        return await self.session.scalar(select(Student).where(Student.student_key == key))

    async def page(
        self,
        *,
        within: Jurisdiction,
        county_code: str | None,
        school_code: str | None,
        status: str | None,
        after: UUID | None,
        limit: int,
        young_boarders: Sequence[ScopeBound] | None = None,
    ) -> list[Student]:
        """`young_boarders`: only the rows the boarding rules (as `bounds_in_force` gives them)
        flag `young_boarder`."""
        query = select(Student).where(within.covers(Student.county_code))
        if county_code:
            query = query.where(Student.county_code == county_code)
        if school_code:
            query = query.where(Student.school_code == school_code)
        if status:
            query = query.where(Student.status == status)
        if young_boarders is not None:
            query = query.where(young_boarder_condition(young_boarders))
        if after is not None:
            query = query.where(Student.id > after)
        return list(
            await self.session.scalars(query.order_by(Student.id).limit(fetch_limit(limit)))
        )

    async def boarding_counts(
        self, *, within: Jurisdiction, county_code: str | None
    ) -> list[GradeCount]:
        """Enrolled pupils per county, 学段, grade and boarding status."""
        query = (
            select(
                Student.county_code,
                Student.level,
                Student.grade,
                Student.boarding,
                func.count(),
            )
            .where(
                within.covers(Student.county_code),
                Student.status == StudentStatus.ENROLLED.value,
            )
            .group_by(Student.county_code, Student.level, Student.grade, Student.boarding)
        )
        if county_code:
            query = query.where(Student.county_code == county_code)
        return [
            GradeCount(county, level, grade, bool(boarding), int(students))
            for county, level, grade, boarding, students in await self.session.execute(query)
        ]


def young_boarder_condition(bounds: Sequence[ScopeBound]) -> ColumnElement[bool]:
    """`rules.is_young_boarder` as SQL: enrolled primary boarders under the grade of the rule
    that decides in their county (no rule: no row)."""
    per_scope = [
        and_(
            Student.county_code.startswith(b.scope),
            *(not_(Student.county_code.startswith(s)) for s in b.except_scopes),
            Student.grade < b.boarding_min_grade,
        )
        for b in bounds
    ]
    if not per_scope:
        return false()
    return and_(
        Student.status == StudentStatus.ENROLLED.value,
        Student.level == Level.PRIMARY.value,
        Student.boarding.is_(True),
        or_(*per_scope),
    )
