"""Every query of the enrollment facts: the applications to check (plain rows, no ORM objects:
a county's re-check reads 200,000), their checked facts, status moves and re-check jobs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Row, Table, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission.models import Application, ApplicationEvent, ApplicationVerification
from enrollment.facts.models import (
    LEDGER,
    ApplicationFact,
    ApplicationFactCheck,
    FactLedgerEntry,
    FactRecheckJob,
)
from junheng_kit.auth import Jurisdiction
from junheng_kit.bulk_insert import insert_columns
from junheng_kit.i18n import t
from junheng_kit.problems import NotFound
from junheng_kit.timeutil import utcnow

CHUNK = 5000
SUBJECT_COLUMNS = (
    Application.id,
    Application.county_code,
    Application.year,
    Application.level,
    Application.child_key,
    Application.citizen_id,
    Application.child_name,
    Application.household,
    Application.home_address,
    Application.home_schools,
    Application.hukou_schools,
    Application.choices,
    Application.primary_school_code,
    Application.status,
)
VERIFICATION = cast(Table, ApplicationVerification.__table__)
FACT = cast(Table, ApplicationFact.__table__)
CHECK = cast(Table, ApplicationFactCheck.__table__)
EVENT = cast(Table, ApplicationEvent.__table__)
OPEN_STATUSES = ("submitted", "verifying", "needs_documents", "verified")
JOB_OPEN = ("queued", "running")


@dataclass
class FactRepository:
    session: AsyncSession

    async def subjects(self, ids: Sequence[UUID]) -> list[Row[Any]]:
        rows: list[Row[Any]] = []
        for start in range(0, len(ids), CHUNK):
            rows += (
                await self.session.execute(
                    select(*SUBJECT_COLUMNS).where(Application.id.in_(ids[start : start + CHUNK]))
                )
            ).all()
        return rows

    async def open_ids(self, county_code: str, *, after: UUID | None = None) -> list[UUID]:
        """A county's applications still under review or verified (a re-check's scope), in id
        order; `after`: only those after it (a resumed job's rest)."""
        query = select(Application.id).where(
            Application.county_code == county_code, Application.status.in_(OPEN_STATUSES)
        )
        if after is not None:
            query = query.where(Application.id > after)
        return list((await self.session.scalars(query.order_by(Application.id))).all())

    async def unchecked_submitted(self, limit: int) -> list[UUID]:
        """Submitted applications whose facts were never checked (the automatic check's queue)."""
        checked = select(ApplicationFactCheck.application_id)
        return list(
            (
                await self.session.scalars(
                    select(Application.id)
                    .where(Application.status == "submitted", Application.id.not_in(checked))
                    .order_by(Application.id)
                    .limit(limit)
                )
            ).all()
        )

    async def replace(
        self,
        ids: Sequence[UUID],
        facts: Sequence[dict[str, Any]],
        checks: Sequence[dict[str, Any]],
    ) -> None:
        """The applications' checked facts replaced (the conditions asked may differ from the
        last check's), their check rows upserted; rows written column-wise."""
        for start in range(0, len(ids), CHUNK):
            part = ids[start : start + CHUNK]
            await self.session.execute(
                delete(ApplicationFact).where(ApplicationFact.application_id.in_(part))
            )
        await self._insert(FACT, facts)
        await self._insert(CHECK, checks, replace_on=("application_id",))

    async def confirm_documents(self, rows: Sequence[dict[str, Any]]) -> None:
        """Checklist documents proved by data sharing: the latest check of each is replaced
        (upsert on the application and document)."""
        await self._insert(VERIFICATION, rows, replace_on=("application_id", "document"))

    async def move(
        self, ids: Sequence[UUID], *, came_from: str, to: str, reason: str | None, at: datetime
    ) -> set[UUID]:
        """Set the status of applications still `came_from` (each move already checked against
        TRANSITIONS; one a clerk moved meanwhile is left alone); the ids moved."""
        moved: set[UUID] = set()
        for start in range(0, len(ids), CHUNK):
            result = await self.session.execute(
                update(Application)
                .where(
                    Application.id.in_(ids[start : start + CHUNK]),
                    Application.status == came_from,
                )
                .values(
                    status=to,
                    status_reason=reason,
                    updated_at=at,
                    version=Application.version + 1,
                )
                .returning(Application.id)
                .execution_options(synchronize_session=False)
            )
            moved.update(result.scalars().all())
        return moved

    async def record_trail(self, rows: Sequence[dict[str, Any]]) -> None:
        await self._insert(EVENT, rows)

    async def _insert(
        self, table: Table, rows: Sequence[dict[str, Any]], *, replace_on: Sequence[str] = ()
    ) -> None:
        """Rows of one shape written column-wise (`junheng_kit.bulk_insert`)."""
        if rows:
            columns = {name: [row[name] for row in rows] for name in rows[0]}
            connection = await self.session.connection()
            await insert_columns(connection, table, columns, replace_on=replace_on)

    async def facts_of(self, application_id: UUID) -> Sequence[ApplicationFact]:
        return (
            await self.session.scalars(
                select(ApplicationFact)
                .where(ApplicationFact.application_id == application_id)
                .order_by(ApplicationFact.condition)
            )
        ).all()

    async def check_of(self, application_id: UUID) -> ApplicationFactCheck | None:
        return await self.session.get(ApplicationFactCheck, application_id)

    async def access_log(
        self, child_key: str, *, within: Jurisdiction
    ) -> Sequence[FactLedgerEntry]:
        return await LEDGER.about(self.session, child_key, within=within)

    async def claim_job(
        self, job_id: UUID, owner: str, *, now: datetime, until: datetime
    ) -> FactRecheckJob | None:
        """Take a queued or running job that is this owner's, nobody's, or past its lease
        (compared and swapped: of two replicas taking it at once one wins); the job, or None."""
        result = await self.session.execute(
            update(FactRecheckJob)
            .where(
                FactRecheckJob.id == job_id,
                FactRecheckJob.status.in_(JOB_OPEN),
                or_(
                    FactRecheckJob.owner == owner,
                    FactRecheckJob.owner.is_(None),
                    FactRecheckJob.lease_until.is_(None),
                    FactRecheckJob.lease_until < now,
                ),
            )
            .values(
                owner=owner,
                lease_until=until,
                status="running",
                attempts=FactRecheckJob.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if cast(Any, result).rowcount != 1:
            return None
        return await self.session.get(FactRecheckJob, job_id, populate_existing=True)

    async def stale_jobs(self, now: datetime) -> list[tuple[UUID, int]]:
        """Queued or running jobs whose lease ran out (their process died): (id, attempts)."""
        rows = await self.session.execute(
            select(FactRecheckJob.id, FactRecheckJob.attempts)
            .where(
                FactRecheckJob.status.in_(JOB_OPEN),
                or_(FactRecheckJob.lease_until.is_(None), FactRecheckJob.lease_until < now),
            )
            .order_by(FactRecheckJob.created_at)
        )
        return [(row.id, row.attempts) for row in rows]

    async def update_job(self, job_id: UUID, holder: str | None, **values: Any) -> bool:
        """Write a job's progress, lease or end while `holder` holds it (None: while nobody
        does, its lease run out); False when another process holds it now."""
        held = (
            FactRecheckJob.owner == holder
            if holder is not None
            else or_(FactRecheckJob.lease_until.is_(None), FactRecheckJob.lease_until < utcnow())
        )
        result = await self.session.execute(
            update(FactRecheckJob)
            .where(FactRecheckJob.id == job_id, FactRecheckJob.status.in_(JOB_OPEN), held)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(cast(Any, result).rowcount == 1)

    async def job(self, job_id: UUID, *, within: Jurisdiction | None = None) -> FactRecheckJob:
        job = await self.session.get(FactRecheckJob, job_id)
        if job is None or (within is not None and not within.covers_code(job.county_code)):
            raise NotFound(t(f"未找到复核任务 {job_id}", f"re-check job {job_id} not found"))
        return job
