"""Every query of the agency exchange: assertions, category lists and their entries."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assistance.agencies.models import AgencyAssertion, CategoryList, CategoryListEntry
from assistance.students.models import Student, citizen_id_index
from junheng_kit.auth import Jurisdiction

ENTRY_COLUMNS = (
    "citizen_id",
    "name",
    "category",
    "grade",
    "valid_from",
    "valid_until",
    "assertion_id",
)
INSERT_CHUNK = 5000
IN_CHUNK = 900  # bound parameters per IN list


@dataclass
class AgencyRepository:
    session: AsyncSession

    def add(self, row: AgencyAssertion | CategoryList) -> None:
        self.session.add(row)

    async def insert_entries(self, list_ref: UUID, rows: Sequence[dict[str, Any]]) -> None:
        """Bulk insert (executemany in chunks): a list of 100,000 rows is not an ORM loop."""
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = [{"list_ref": list_ref, **row} for row in rows[start : start + INSERT_CHUNK]]
            await self.session.execute(insert(CategoryListEntry), chunk)

    async def current_lists(self, *, within: Jurisdiction) -> Sequence[CategoryList]:
        """The newest list per (agency, region_code) in the caller's jurisdiction."""
        newest = (
            select(
                CategoryList.agency,
                CategoryList.region_code,
                func.max(CategoryList.fetched_at).label("fetched_at"),
            )
            .where(within.covers(CategoryList.region_code))
            .group_by(CategoryList.agency, CategoryList.region_code)
            .subquery()
        )
        return (
            await self.session.scalars(
                select(CategoryList)
                .join(
                    newest,
                    (CategoryList.agency == newest.c.agency)
                    & (CategoryList.region_code == newest.c.region_code)
                    & (CategoryList.fetched_at == newest.c.fetched_at),
                )
                .order_by(CategoryList.region_code, CategoryList.agency)
            )
        ).all()

    async def student(self, student_id: UUID) -> Student | None:
        return await self.session.get(Student, student_id)

    async def student_by_citizen_id(self, citizen_id: str) -> Student | None:
        """The roster row of an ID, found by its blind index (the ID is stored encrypted)."""
        return await self.session.scalar(
            select(Student).where(Student.citizen_id_index == citizen_id_index(citizen_id))
        )

    async def entry_identities(self, entry_ids: Collection[int]) -> dict[int, tuple[str, str]]:
        """List entry id → (citizen ID, name) as the list says, decrypted: only for the entries
        an 应助尽助 scan's partial matches name (what their review items show)."""
        found: dict[int, tuple[str, str]] = {}
        ordered = sorted(set(entry_ids))
        for start in range(0, len(ordered), IN_CHUNK):
            rows = await self.session.execute(
                select(
                    CategoryListEntry.id, CategoryListEntry.citizen_id, CategoryListEntry.name
                ).where(CategoryListEntry.id.in_(ordered[start : start + IN_CHUNK]))
            )
            for entry_id, citizen_id, name in rows:
                found[entry_id] = (citizen_id, name)
        return found

    async def assertions_of(self, student_id: UUID) -> Sequence[AgencyAssertion]:
        return (
            await self.session.scalars(
                select(AgencyAssertion)
                .where(AgencyAssertion.student_id == student_id)
                .order_by(AgencyAssertion.recorded_at.desc())
            )
        ).all()


async def reindex_assertions(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """The agencies' answers about a pupil given the pupil's blind index of the citizen ID again,
    where it differs (`python -m assistance reencrypt`, after the roster's indexes were made
    anew under a new profile's MAC): the answer holds no ID to make it from. An answer about a
    person never on the roster keeps the index it has; a purged one (NULL) stays NULL.
    → answers rewritten."""
    pupil_index = (
        select(Student.citizen_id_index)
        .where(Student.id == AgencyAssertion.student_id)
        .scalar_subquery()
    )
    async with sessionmaker() as session, session.begin():
        result = await session.execute(
            update(AgencyAssertion)
            .where(
                AgencyAssertion.student_id.is_not(None),
                AgencyAssertion.citizen_id_index.is_not(None),
                AgencyAssertion.citizen_id_index != pupil_index,
            )
            .values(citizen_id_index=pupil_index)
            .execution_options(synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0) or 0)
