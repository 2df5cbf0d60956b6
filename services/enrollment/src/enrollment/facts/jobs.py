"""Background work of the enrollment facts, inside the service process:

- the automatic check: every `ENROLLMENT_FACT_CHECK_INTERVAL_SECONDS` the submitted applications
  never checked are checked in batches, each batch committed on its own — after the submission
  committed, never in its request;
- a county's re-check job (`POST /v1/facts/recheck`): its open applications in batches of
  `ENROLLMENT_FACT_BATCH_SIZE`, progress (`done` of `total`) committed after each batch.

Both run only where enrollment sources are configured (`ENROLLMENT_FACT_AGENCIES_FILE`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from uuid import UUID

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enrollment.facts import asking, service
from enrollment.facts.connector import STATE_NAME, FactConnector
from enrollment.facts.models import FactRecheckJob
from enrollment.facts.repository import FactRepository
from enrollment.settings import EnrollmentSettings
from junheng_kit.timeutil import china_today, utcnow

log = logging.getLogger("enrollment.facts")
AUTOMATIC_ACTOR = "enrollment-facts"


class FactJobs:
    def __init__(self, app: FastAPI, settings: EnrollmentSettings) -> None:
        self.app, self.settings = app, settings
        self.tasks: dict[UUID, asyncio.Task[None]] = {}
        self.ended: set[UUID] = set()
        self._loop: asyncio.Task[None] | None = None

    @property
    def connector(self) -> FactConnector:
        connector: FactConnector = getattr(self.app.state, STATE_NAME)
        return connector

    def _sessions(self) -> async_sessionmaker[AsyncSession]:
        sessionmaker: async_sessionmaker[AsyncSession] = self.app.state.sessionmaker
        return sessionmaker

    def begin(self) -> None:
        if self.connector.agencies:
            self._loop = asyncio.create_task(self._automatic(), name="facts-automatic-check")

    async def _automatic(self) -> None:
        while True:
            try:
                while await self.check_submitted():
                    pass
            except SQLAlchemyError as error:  # a busy database: the next round tries again
                log.warning("facts.automatic_check_failed", extra={"error": type(error).__name__})
            except Exception:  # the loop's boundary: log and go on
                log.exception("facts.automatic_check_failed")
            await asyncio.sleep(self.settings.fact_check_interval_seconds)

    async def check_submitted(self) -> int:
        """One batch of submitted, never-checked applications; how many were checked."""
        async with self._sessions()() as session:
            ids = await FactRepository(session).unchecked_submitted(self.settings.fact_batch_size)
            if not ids:
                return 0
            checked = await service.check(
                session,
                self.connector,
                ids,
                actor=AUTOMATIC_ACTOR,
                today=china_today(),
                mode="batch",
                batch_size=self.settings.fact_batch_size,
            )
            await session.commit()
        log.info("facts.checked", extra={"applications": len(ids), **checked.counts})
        return len(ids)

    async def start(self, job_id: UUID) -> None:
        task = asyncio.create_task(self.run(job_id), name=f"facts-recheck-{job_id}")
        self.tasks[job_id] = task
        task.add_done_callback(lambda _: self._ended(job_id))

    def _ended(self, job_id: UUID) -> None:
        self.tasks.pop(job_id, None)
        self.ended.add(job_id)

    async def wait(self, job_id: UUID, timeout: float = 60) -> None:
        """Until a job started here ends (it starts once its request's answer went out)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while job_id not in self.tasks and job_id not in self.ended:
            if asyncio.get_running_loop().time() > deadline:
                return
            await asyncio.sleep(0.01)
        task = self.tasks.get(job_id)
        if task is not None:
            await asyncio.shield(task)

    async def _ask(
        self, ids: list[UUID], today: date
    ) -> asyncio.Task[tuple[list[service.Plan], list[asking.Answered]]]:
        """Plan a chunk's questions (a read) and send them, as a task running on its own."""
        async with self._sessions()() as session:
            plans, asked = await service.prepare(session, ids, today=today)

        async def answers() -> tuple[list[service.Plan], list[asking.Answered]]:
            got = await asking.ask_in_batches(
                self.connector, asked, batch_size=self.settings.fact_batch_size
            )
            return plans, got

        return asyncio.create_task(answers())

    async def run(self, job_id: UUID) -> None:
        """复核: a county's open applications re-checked, batch by batch, progress committed;
        the agencies answer the next chunk while the previous one is written."""
        size, today = self.settings.fact_batch_size, china_today()
        pending: asyncio.Task[tuple[list[service.Plan], list[asking.Answered]]] | None = None
        try:
            async with self._sessions()() as session:
                job = await FactRepository(session).job(job_id)
                ids = await FactRepository(session).open_ids(job.county_code)
                job.status, job.total = "running", len(ids)
                await session.commit()
            counts: Counter[str] = Counter()
            chunks = [ids[i : i + size * 4] for i in range(0, len(ids), size * 4)]
            pending = await self._ask(chunks[0], today) if chunks else None
            for n in range(len(chunks)):
                assert pending is not None
                plans, answers = await pending
                # the next chunk's questions travel while this chunk's answers are written
                pending = await self._ask(chunks[n + 1], today) if n + 1 < len(chunks) else None
                async with self._sessions()() as session:
                    checked = await service.record(
                        session, plans, answers, actor=f"recheck:{job_id}"[:100], today=today
                    )
                    counts.update(checked.counts)
                    job = await FactRepository(session).job(job_id)
                    job.done = min(len(ids), (n + 1) * size * 4)
                    job.counts = dict(counts)
                    await session.commit()
            async with self._sessions()() as session:
                job = await FactRepository(session).job(job_id)
                job.status, job.finished_at = "finished", utcnow()
                await session.commit()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the job's boundary: record the failure, never raise
            log.exception("facts.recheck_failed", extra={"job_id": str(job_id)})
            if pending is not None:
                pending.cancel()
            async with self._sessions()() as session:
                job = await FactRepository(session).job(job_id)
                job.status, job.finished_at = "failed", utcnow()
                job.detail = f"{type(exc).__name__}: {exc}"[:500]
                await session.commit()

    async def stop(self) -> None:
        tasks = [t for t in (self._loop, *self.tasks.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def new_job(county_code: str, actor: str) -> FactRecheckJob:
    return FactRecheckJob(
        county_code=county_code, status="queued", total=0, done=0, counts={}, created_by=actor
    )


def install_fact_jobs(app: FastAPI, settings: EnrollmentSettings) -> None:
    """`app.state.fact_jobs`: the automatic check loop and the re-check jobs, stopped at exit.
    Installed after the connector (it runs inside the connector's lifespan)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with inner(app):
            jobs = FactJobs(app, settings)
            app.state.fact_jobs = jobs
            jobs.begin()
            try:
                yield
            finally:
                await jobs.stop()

    app.router.lifespan_context = lifespan
