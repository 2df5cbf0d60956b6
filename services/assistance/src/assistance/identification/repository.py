"""Every query of the 应助尽助 job: columns straight into polars frames, bulk writes.

Loading is set-based: one SELECT per frame (`frames.frame`: columns handed to polars by type,
UUIDs read as text, no per-row Python objects), the lists' entries in one SELECT for all of them.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import polars as pl
from sqlalchemy import String, Table, case, func, insert, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assistance.agencies.models import CategoryList, CategoryListEntry
from assistance.awards.awards.models import Award
from assistance.identification import rules, snapshot
from assistance.identification.frames import frame
from assistance.identification.models import (
    CoverageFigure,
    IdentificationJob,
    ReviewItem,
    RosterSnapshot,
)
from assistance.students.models import RosterVersion, Student
from junheng_kit import fieldcrypt
from junheng_kit.auth import Jurisdiction
from junheng_kit.i18n import t
from junheng_kit.pagination import fetch_limit
from junheng_kit.problems import NotFound
from junheng_kit.timeutil import utcnow

log = logging.getLogger("assistance.identification")

REVIEW_ITEM = cast(Table, ReviewItem.__table__)
COVERAGE_FIGURE = cast(Table, CoverageFigure.__table__)
ROSTER_SNAPSHOT = cast(Table, RosterSnapshot.__table__)
CHUNK = 2000
IN_CHUNK = 900
ENROLLED = "enrolled"


def region_prefixes(county_code: str) -> list[str]:
    """Lists for the province, the prefecture or the county itself cover a county."""
    return [county_code[:2], county_code[:4], county_code]


@dataclass
class IdentificationRepository:
    session: AsyncSession

    # --- jobs ------------------------------------------------------------------------------

    def add_job(self, job: IdentificationJob) -> None:
        self.session.add(job)

    async def job(self, job_id: UUID, *, within: Jurisdiction | None = None) -> IdentificationJob:
        query = select(IdentificationJob).where(IdentificationJob.id == job_id)
        if within is not None:
            query = query.where(within.covers(IdentificationJob.county_code))
        job = await self.session.scalar(query)
        if job is None:  # another county's job is "not found" too
            raise NotFound(t(f"认定任务 {job_id} 不存在", f"identification job {job_id} not found"))
        return job

    async def unfinished_job(self, county_code: str) -> IdentificationJob | None:
        return await self.session.scalar(
            select(IdentificationJob)
            .where(
                IdentificationJob.county_code == county_code,
                IdentificationJob.status.in_(["queued", "running"]),
            )
            .limit(1)
        )

    async def stale(self, *, before: datetime) -> list[IdentificationJob]:
        """Queued or running jobs whose process has not signed of life since `before`."""
        alive = func.coalesce(IdentificationJob.heartbeat_at, IdentificationJob.created_at)
        return list(
            await self.session.scalars(
                select(IdentificationJob).where(
                    IdentificationJob.status.in_(["queued", "running"]), alive < before
                )
            )
        )

    async def beat(self, job_ids: Sequence[UUID], *, at: datetime) -> None:
        if job_ids:
            await self.session.execute(
                update(IdentificationJob)
                .where(IdentificationJob.id.in_(job_ids))
                .values(heartbeat_at=at)
            )

    async def latest_finished(self, county_code: str, school_year: int) -> IdentificationJob | None:
        return await self.session.scalar(
            select(IdentificationJob)
            .where(
                IdentificationJob.county_code == county_code,
                IdentificationJob.school_year == school_year,
                IdentificationJob.status == "succeeded",
            )
            .order_by(IdentificationJob.finished_at.desc(), IdentificationJob.id.desc())
            .limit(1)
        )

    # --- frames ------------------------------------------------------------------------------

    async def current_lists(self, county_code: str) -> list[CategoryList]:
        """Newest list per (agency, region) by `fetched_at`, of the regions covering the county."""
        lists = await self.session.scalars(
            select(CategoryList)
            .where(CategoryList.region_code.in_(region_prefixes(county_code)))
            .order_by(CategoryList.fetched_at.desc(), CategoryList.id.desc())
        )
        newest: dict[tuple[str, str], CategoryList] = {}
        for entry in lists:
            newest.setdefault((entry.agency, entry.region_code), entry)
        return sorted(newest.values(), key=lambda c: (c.agency, c.region_code))

    async def roster(self, county_code: str) -> pl.DataFrame:
        return await frame(
            self.session,
            select(
                sql_cast(Student.id, String),
                Student.citizen_id_index,
                Student.name_born_index,
                Student.school_code,
            ).where(Student.county_code == county_code, Student.status == ENROLLED),
            rules.ROSTER_SCHEMA,
        )

    # --- the roster snapshot -------------------------------------------------------------------

    async def roster_version(self, county_code: str) -> int:
        """How often the county's roster rows were written (0: never since the table came)."""
        version = await self.session.scalar(
            select(RosterVersion.version).where(RosterVersion.county_code == county_code)
        )
        return int(version or 0)

    async def roster_snapshot(self, county_code: str, version: int) -> pl.DataFrame | None:
        """The stored roster frame if it was read at `version` (else None: stale or absent)."""
        sealed = await self.session.scalar(
            select(RosterSnapshot.payload).where(
                RosterSnapshot.county_code == county_code,
                RosterSnapshot.version == version,
                RosterSnapshot.format == snapshot.FORMAT,
            )
        )
        if sealed is None:
            return None
        try:  # one decryption for the whole roster
            payload = fieldcrypt.decrypt_bytes(sealed, snapshot.PAYLOAD)
        except fieldcrypt.FieldUnreadable as unreadable:  # a dropped key: a copy, read anew
            log.warning("roster_snapshot.unreadable", extra={"reason": str(unreadable)})
            return None
        return snapshot.decode(payload)

    async def store_roster_snapshot(
        self, county_code: str, version: int, roster: pl.DataFrame, payload: bytes
    ) -> None:
        """Keep the roster frame read at `version` (`payload`: snapshot.encode's, stored
        encrypted as one value); a newer stored one is left alone."""
        connection = await self.session.connection()
        insert_into = (
            postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        )
        statement = insert_into(ROSTER_SNAPSHOT).values(
            county_code=county_code,
            version=version,
            built_at=utcnow(),
            rows=roster.height,
            format=snapshot.FORMAT,
            payload=fieldcrypt.encrypt_bytes(payload, snapshot.PAYLOAD),  # sealed as one value
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[ROSTER_SNAPSHOT.c.county_code],
                set_={
                    c: statement.excluded[c]
                    for c in ("version", "built_at", "rows", "format", "payload")
                },
                where=ROSTER_SNAPSHOT.c.version <= statement.excluded.version,
            )
        )

    async def entries(self, lists: Sequence[CategoryList]) -> pl.DataFrame:
        """Every entry of the lists, keyed by its blind indexes (no ID or name read); one query
        for all the lists, each row naming its list by position (a small integer, not a UUID
        to read and put in canonical form per row), its ref and agency filled in from it."""
        if not lists:
            return pl.DataFrame(schema=rules.ENTRY_SCHEMA)
        positions = list(range(len(lists)))
        rows = await frame(
            self.session,
            select(
                CategoryListEntry.id,
                case(  # compared as the column's type: the UUID renders on both databases
                    *(
                        (CategoryListEntry.list_ref == listed.id, n)
                        for n, listed in enumerate(lists)
                    )
                ),
                CategoryListEntry.citizen_id_index,
                CategoryListEntry.name_born_index,
                CategoryListEntry.category,
                CategoryListEntry.valid_from,
                CategoryListEntry.valid_until,
                CategoryListEntry.assertion_id,
            ).where(CategoryListEntry.list_ref.in_([listed.id for listed in lists])),
            {
                "entry_id": pl.Int64,
                "position": pl.Int64,
                **{k: v for k, v in rules.ENTRY_SCHEMA.items() if k not in ("list_ref", "agency")},
            },
        )
        return rows.with_columns(
            pl.col("position")
            .replace_strict(positions, [str(listed.id) for listed in lists], return_dtype=pl.String)
            .alias("list_ref"),
            pl.col("position")
            .replace_strict(positions, [listed.agency for listed in lists], return_dtype=pl.String)
            .alias("agency"),
        ).select(list(rules.ENTRY_SCHEMA))

    async def awards(self, county_code: str, school_year: int) -> pl.DataFrame:
        return await frame(
            self.session,
            select(
                sql_cast(Award.id, String),
                sql_cast(Award.student_id, String),
                Award.programme_code,
                Award.category,
                Award.status,
            ).where(Award.county_code == county_code, Award.school_year == school_year),
            rules.AWARD_SCHEMA,
        )

    async def confirmed_students(
        self, county_code: str, school_year: int, *, except_categories: Collection[str] = ()
    ) -> pl.DataFrame:
        """Students a reviewer confirmed on a list this year (but for `except_categories`)."""
        query = select(sql_cast(ReviewItem.student_id, String)).where(
            ReviewItem.county_code == county_code,
            ReviewItem.school_year == school_year,
            ReviewItem.status == "confirmed",
        )
        if except_categories:
            query = query.where(ReviewItem.category.not_in(sorted(except_categories)))
        return await frame(self.session, query, {"student_id": pl.String})

    async def awards_changed_since(
        self, county_code: str, school_year: int, since: datetime
    ) -> bool:
        """An award of the year written, or a review decided, after `since`."""
        award = await self.session.scalar(
            select(Award.id)
            .where(
                Award.county_code == county_code,
                Award.school_year == school_year,
                Award.updated_at >= since,
            )
            .limit(1)
        )
        decided = await self.session.scalar(
            select(ReviewItem.id)
            .where(ReviewItem.county_code == county_code, ReviewItem.decided_at >= since)
            .limit(1)
        )
        return award is not None or decided is not None

    async def reviewed_keys(self, county_code: str, school_year: int) -> pl.DataFrame:
        """(student_id, assertion_id) already in the queue for the year, decided or not."""
        return await frame(
            self.session,
            select(sql_cast(ReviewItem.student_id, String), ReviewItem.assertion_id).where(
                ReviewItem.county_code == county_code, ReviewItem.school_year == school_year
            ),
            {"student_id": pl.String, "assertion_id": pl.String},
        )

    # --- writes ------------------------------------------------------------------------------

    async def insert_review_items(self, rows: Sequence[dict[str, Any]]) -> None:
        for start in range(0, len(rows), CHUNK):
            await self.session.execute(insert(REVIEW_ITEM), rows[start : start + CHUNK])

    async def insert_coverage(self, rows: Sequence[dict[str, Any]]) -> None:
        for start in range(0, len(rows), CHUNK):
            await self.session.execute(insert(COVERAGE_FIGURE), rows[start : start + CHUNK])

    async def coverage_of(self, job_id: UUID) -> list[CoverageFigure]:
        return list(
            await self.session.scalars(
                select(CoverageFigure)
                .where(CoverageFigure.job_id == job_id)
                .order_by(CoverageFigure.school_code)
            )
        )

    async def set_phase(self, job_id: UUID, **values: Any) -> None:
        await self.session.execute(
            update(IdentificationJob).where(IdentificationJob.id == job_id).values(**values)
        )

    # --- review queue --------------------------------------------------------------------------

    async def review_item(self, item_id: UUID, *, within: Jurisdiction) -> ReviewItem:
        item = await self.session.scalar(
            select(ReviewItem).where(
                ReviewItem.id == item_id, within.covers(ReviewItem.county_code)
            )
        )
        if item is None:
            raise NotFound(t(f"复核项 {item_id} 不存在", f"review item {item_id} not found"))
        return item

    async def review_page(
        self,
        *,
        within: Jurisdiction,
        county_code: str | None,
        status: str | None,
        job_id: UUID | None,
        after: UUID | None,
        limit: int,
    ) -> list[tuple[ReviewItem, Student]]:
        query = (
            select(ReviewItem, Student)
            .join(Student, Student.id == ReviewItem.student_id)
            .where(within.covers(ReviewItem.county_code))
        )
        if county_code:
            query = query.where(ReviewItem.county_code == county_code)
        if status:
            query = query.where(ReviewItem.status == status)
        if job_id:
            query = query.where(ReviewItem.job_id == job_id)
        if after:
            query = query.where(ReviewItem.id > after)
        rows = await self.session.execute(query.order_by(ReviewItem.id).limit(fetch_limit(limit)))
        return [(item, student) for item, student in rows]

    async def student(self, student_id: UUID) -> Student:
        student = await self.session.get(Student, student_id)
        if student is None:
            raise NotFound(t(f"学生 {student_id} 不存在", f"student {student_id} not found"))
        return student


async def reencrypt_snapshots(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Roster snapshots not sealed under the current key and algorithm, sealed anew: one county
    at a time, each in its own transaction, one decryption and one encryption each (`python -m
    assistance reencrypt`); a snapshot a job replaced meanwhile (another version) is left to
    it, one no key opens is deleted (the next job reads the tables). → snapshots rewritten."""
    ring = fieldcrypt.keyring()
    async with sessionmaker() as session:
        counties = list(await session.scalars(select(ROSTER_SNAPSHOT.c.county_code)))
    done = 0
    for county_code in counties:
        async with sessionmaker() as session, session.begin():
            row = (
                await session.execute(
                    select(ROSTER_SNAPSHOT.c.version, ROSTER_SNAPSHOT.c.payload).where(
                        ROSTER_SNAPSHOT.c.county_code == county_code
                    )
                )
            ).one_or_none()
            if row is None or fieldcrypt.is_current_bytes(row.payload, ring):
                continue
            same = (ROSTER_SNAPSHOT.c.county_code == county_code) & (
                ROSTER_SNAPSHOT.c.version == row.version
            )
            try:
                payload = fieldcrypt.decrypt_bytes(row.payload, snapshot.PAYLOAD, ring)
            except fieldcrypt.FieldUnreadable:
                await session.execute(ROSTER_SNAPSHOT.delete().where(same))
            else:
                resealed = fieldcrypt.encrypt_bytes(payload, snapshot.PAYLOAD, ring)
                await session.execute(update(ROSTER_SNAPSHOT).where(same).values(payload=resealed))
            done += 1
    return done
