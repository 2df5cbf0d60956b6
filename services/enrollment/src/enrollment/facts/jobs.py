"""Background work of the enrollment facts, inside the service process:

- the automatic check: every `ENROLLMENT_FACT_CHECK_INTERVAL_SECONDS` the submitted applications
  never checked are checked in batches, each batch committed on its own — after the submission
  committed, never in its request;
- a county's re-check job (`POST /v1/facts/recheck`): its open applications in batches of
  `ENROLLMENT_FACT_BATCH_SIZE`, progress (`done` of `total`) committed after each batch;
- stale jobs: a job is held under a lease (`ENROLLMENT_FACT_JOB_LEASE_SECONDS`) its process
  renews; each round of the automatic loop takes over the jobs whose lease ran out (their process
  died) and resumes them after their last committed batch — or marks them failed once
  `MAX_ATTEMPTS` processes ran them without finishing.

Both run only where enrollment sources are configured (`ENROLLMENT_FACT_AGENCIES_FILE`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from uuid import UUID

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enrollment.facts import asking, service
from enrollment.facts.connector import STATE_NAME, FactConnector
from enrollment.facts.models import FactRecheckJob
from enrollment.facts.repository import FactRepository
from enrollment.settings import EnrollmentSettings
from junheng_kit.db import READ_ONLY
from junheng_kit.ids import uuid7
from junheng_kit.timeutil import china_today, utcnow

log = logging.getLogger("enrollment.facts")
AUTOMATIC_ACTOR = "enrollment-facts"
MAX_ATTEMPTS = 3  # processes a re-check job may outlive before it is marked failed


class FactJobs:
    def __init__(self, app: FastAPI, settings: EnrollmentSettings) -> None:
        self.app, self.settings = app, settings
        self.owner = str(uuid7())  # this process, as the owner of the jobs it runs
        self.tasks: dict[UUID, asyncio.Task[None]] = {}
        self.renewed: dict[UUID, float] = {}  # when this process last renewed a job's lease
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
        """Each round after an interval (the first too: the service has started serving, and a
        test app that runs its rounds itself sets a long interval and sees none)."""
        while True:
            await asyncio.sleep(self.settings.fact_check_interval_seconds)
            try:
                await self.take_over_stale()
                while await self.check_submitted():
                    pass
            except SQLAlchemyError as error:  # a busy database: the next round tries again
                log.warning("facts.automatic_check_failed", extra={"error": type(error).__name__})
            except Exception:  # the loop's boundary: log and go on
                log.exception("facts.automatic_check_failed")

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

    def new_job(self, county_code: str, actor: str) -> FactRecheckJob:
        """A job this process will run (it holds it from now: no other replica takes it)."""
        return new_job(county_code, actor, owner=self.owner, lease_until=self._lease_end())

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

    def _ask(
        self, ids: list[UUID], today: date
    ) -> asyncio.Task[tuple[list[service.Plan], list[asking.Answered]]]:
        """Plan a chunk's questions (a read) and send them, as a task running on its own (beside
        the previous chunk's write)."""

        async def answers() -> tuple[list[service.Plan], list[asking.Answered]]:
            async with self._sessions()() as session:
                # a read: on SQLite it runs beside the previous chunk's write, not behind it
                await session.connection(execution_options={READ_ONLY: True})
                plans, asked = await service.prepare(session, ids, today=today)
            got = await asking.ask_in_batches(
                self.connector, asked, batch_size=self.settings.fact_batch_size
            )
            return plans, got

        return asyncio.create_task(answers())

    async def run(self, job_id: UUID) -> None:
        """复核: a county's open applications re-checked, batch by batch, progress committed with
        each batch; the agencies answer the next chunk while the previous one is written.

        The job is claimed first (this process's, nobody's, or past its lease); its lease is
        renewed with every chunk and by a heartbeat between. A job another process took over
        meanwhile is left to it: this one's uncommitted chunk rolls back. A claimed job resumes
        after the last application committed (`resume_after`)."""
        size, today = self.settings.fact_batch_size, china_today()
        pending: asyncio.Task[tuple[list[service.Plan], list[asking.Answered]]] | None = None
        heartbeat: asyncio.Task[None] | None = None
        try:
            async with self._sessions()() as session:
                repository = FactRepository(session)
                job = await repository.claim_job(
                    job_id, self.owner, now=utcnow(), until=self._lease_end()
                )
                if job is None:  # finished, failed, or another process holds it
                    return
                ids = await repository.open_ids(job.county_code, after=job.resume_after)
                done, counts = job.done, Counter(job.counts)
                job.total = done + len(ids)
                await session.commit()
            self.renewed[job_id] = time.monotonic()
            heartbeat = asyncio.create_task(self._heartbeat(job_id), name=f"facts-lease-{job_id}")
            chunks = [ids[i : i + size * 4] for i in range(0, len(ids), size * 4)]
            pending = self._ask(chunks[0], today) if chunks else None
            for n, chunk in enumerate(chunks):
                assert pending is not None
                plans, answers = await pending
                # the next chunk's questions travel while this chunk's answers are written
                pending = self._ask(chunks[n + 1], today) if n + 1 < len(chunks) else None
                async with self._sessions()() as session:
                    checked = await service.record(
                        session, plans, answers, actor=f"recheck:{job_id}"[:100], today=today
                    )
                    counts.update(checked.counts)
                    done += len(chunk)
                    held = await FactRepository(session).update_job(
                        job_id,
                        self.owner,
                        done=done,
                        counts=dict(counts),
                        resume_after=chunk[-1],
                        lease_until=self._lease_end(),
                    )
                    if not held:
                        raise JobLost(job_id)
                    await session.commit()
                    self.renewed[job_id] = time.monotonic()
            await self._end(job_id, "finished")
        except asyncio.CancelledError:
            raise
        except JobLost:  # another replica took the job over: it goes on from the last commit
            log.warning("facts.recheck_taken_over", extra={"job_id": str(job_id)})
        except Exception as exc:  # the job's boundary: record the failure, never raise
            log.exception("facts.recheck_failed", extra={"job_id": str(job_id)})
            await self._end(job_id, "failed", f"{type(exc).__name__}: {exc}")
        finally:
            self.renewed.pop(job_id, None)
            for task in (pending, heartbeat):
                if task is not None:
                    task.cancel()

    def _lease_end(self) -> datetime:
        return utcnow() + timedelta(seconds=self.settings.fact_job_lease_seconds)

    async def _heartbeat(self, job_id: UUID) -> None:
        """Renew the job's lease when a third of it passed without a batch committing (each
        commit renews it; an agency timing out can hold a chunk longer than the lease); stops
        once another process holds the job."""
        period = self.settings.fact_job_lease_seconds / 3
        while True:
            await asyncio.sleep(period)
            if time.monotonic() - self.renewed.get(job_id, 0.0) < period:
                continue  # a batch renewed it meanwhile: no write queued behind the job's own
            try:
                async with self._sessions()() as session:
                    held = await FactRepository(session).update_job(
                        job_id, self.owner, lease_until=self._lease_end()
                    )
                    await session.commit()
            except SQLAlchemyError as error:  # a busy database: the next beat tries again
                log.warning("facts.lease_renewal_failed", extra={"error": type(error).__name__})
                continue
            if not held:
                return
            self.renewed[job_id] = time.monotonic()

    async def _end(
        self, job_id: UUID, status: str, detail: str | None = None, *, abandoned: bool = False
    ) -> bool:
        """Mark the job finished or failed while this process holds it (`abandoned`: while
        nobody does, its lease run out)."""
        async with self._sessions()() as session:
            ended = await FactRepository(session).update_job(
                job_id,
                None if abandoned else self.owner,
                status=status,
                finished_at=utcnow(),
                detail=detail[:500] if detail else None,
                owner=None,
                lease_until=None,
            )
            await session.commit()
        return ended

    async def take_over_stale(self) -> list[UUID]:
        """Re-check jobs whose process died (past their lease): resumed here, or marked failed
        once `MAX_ATTEMPTS` processes ran them without finishing; the ids resumed."""
        async with self._sessions()() as session:
            await session.connection(execution_options={READ_ONLY: True})
            stale = await FactRepository(session).stale_jobs(utcnow())
        resumed = []
        for job_id, attempts in stale:
            if job_id in self.tasks:
                continue
            if attempts >= MAX_ATTEMPTS:
                detail = (
                    f"运行该任务的进程已 {attempts} 次中断，任务终止 / abandoned: {attempts} "
                    "processes that ran it ended before it finished"
                )
                if await self._end(job_id, "failed", detail, abandoned=True):
                    log.warning("facts.recheck_abandoned", extra={"job_id": str(job_id)})
                continue
            log.warning("facts.recheck_resumed", extra={"job_id": str(job_id)})
            await self.start(job_id)
            resumed.append(job_id)
        return resumed

    async def stop(self) -> None:
        tasks = [t for t in (self._loop, *self.tasks.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


class JobLost(Exception):
    """Another process took the job over (this one's lease ran out)."""


def new_job(
    county_code: str, actor: str, *, owner: str | None = None, lease_until: datetime | None = None
) -> FactRecheckJob:
    """A queued job; with `owner`, that process holds it until `lease_until` (else the first
    process to claim it runs it)."""
    return FactRecheckJob(
        county_code=county_code,
        status="queued",
        total=0,
        done=0,
        counts={},
        created_by=actor,
        owner=owner,
        lease_until=lease_until,
        attempts=0,
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
