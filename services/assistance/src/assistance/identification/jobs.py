"""The 应助尽助 job runner: one asyncio task per job inside the service process.

The runner owns the job's transactions (like SessionDep owns a request's): start, the optional
list refresh, loading (read-only), each phase change and the write-out commit on their own, so
`GET /v1/identification-jobs/{id}` shows the phase while the job runs. Every process beats
(`heartbeat_at`) for the jobs it runs; a queued or running job without a beat for
`ASSISTANCE_IDENTIFICATION_STALE_SECONDS` lost its process (restart, crash) and is failed by
the next start-up, heartbeat sweep or job request of any replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from uuid import UUID

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assistance.identification import loading, outcome, service
from assistance.identification.repository import IdentificationRepository
from assistance.identification.schemas import JobPhase
from assistance.settings import AssistanceSettings
from junheng_kit.timeutil import utcnow

log = logging.getLogger("assistance.identification")


class JobRunner:
    """Starts jobs as tasks after their request committed; cancels them at shutdown."""

    def __init__(self, app: FastAPI, *, heartbeat_seconds: float, stale_seconds: float) -> None:
        self.app = app
        self.tasks: dict[UUID, asyncio.Task[None]] = {}
        self.heartbeat_seconds, self.stale_seconds = heartbeat_seconds, stale_seconds
        self._beating: asyncio.Task[None] | None = None

    def stale_before(self) -> datetime:
        """A job whose last heartbeat is older than this has lost its process."""
        return utcnow() - timedelta(seconds=self.stale_seconds)

    async def sweep(self) -> int:
        """Beat for the jobs running here; fail the jobs whose process is gone (any replica's)."""
        async with self._sessions()() as session:
            repository = IdentificationRepository(session)
            await repository.beat(list(self.tasks), at=utcnow())
            failed = await service.fail_stale(session, before=self.stale_before())
            await session.commit()
        if failed:
            log.warning("identification.stale_jobs_failed", extra={"jobs": failed})
        return failed

    def begin(self) -> None:
        self._beating = asyncio.create_task(self._beat(), name="identification-heartbeat")

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                await self.sweep()
            except SQLAlchemyError as error:  # a busy database: the next beat tries again
                # one line, no traceback: on SQLite a long job's write holds the lock by design
                log.warning(
                    "identification.heartbeat_failed",
                    extra={"error": type(error).__name__, "reason": str(error).split("\n")[0]},
                )

    async def start(self, job_id: UUID) -> None:
        task = asyncio.create_task(self.run(job_id), name=f"identification-{job_id}")
        self.tasks[job_id] = task
        task.add_done_callback(lambda _: self.tasks.pop(job_id, None))

    async def wait(self, job_id: UUID) -> None:
        """Until the job's task ends (at once if it is not running here)."""
        task = self.tasks.get(job_id)
        if task is not None:
            await asyncio.shield(task)

    async def stop(self) -> None:
        if self._beating is not None:
            self._beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beating
        for task in list(self.tasks.values()):
            task.cancel()
        for task in list(self.tasks.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _sessions(self) -> async_sessionmaker[AsyncSession]:
        sessionmaker: async_sessionmaker[AsyncSession] = self.app.state.sessionmaker
        return sessionmaker

    async def _phase(self, job_id: UUID, phase: JobPhase, counts: dict[str, int]) -> None:
        """Commit the next phase and the counts known so far (the job's progress)."""
        async with self._sessions()() as session:
            await IdentificationRepository(session).set_phase(
                job_id, phase=phase.value, counts=counts
            )
            await session.commit()

    async def _keep_snapshot(self, county_code: str, inputs: loading.Inputs) -> None:
        """Store the roster read from the tables; a failure costs the next job a rebuild only."""
        try:
            async with self._sessions()() as session:
                await loading.store_roster_snapshot(session, county_code, inputs)
                await session.commit()
        except SQLAlchemyError as error:
            log.warning(
                "identification.snapshot_not_stored",
                extra={"error": type(error).__name__, "reason": str(error).split("\n")[0]},
            )

    async def run(self, job_id: UUID) -> None:
        connector = getattr(self.app.state, "agency_connector", None)
        configured = (
            {code: list(agency.categories) for code, agency in connector.agencies.items()}
            if connector is not None
            else {}
        )
        try:
            async with self._sessions()() as session:
                job = await service.start(session, job_id)
                await session.commit()
            log.info("identification.started", extra={"job_id": str(job_id)})
            if job.refresh_lists:
                async with self._sessions()() as session:
                    await service.refresh_lists(session, job_id, connector=connector)
                    await session.commit()
            async with self._sessions()() as session:
                job = await IdentificationRepository(session).job(job_id)
            inputs = await loading.load(self._sessions(), job, configured=configured)
            if not inputs.roster_from_snapshot:
                await self._keep_snapshot(job.county_code, inputs)
            await self._phase(job_id, JobPhase.MATCHING, loading.loaded_counts(inputs))
            # polars works outside the GIL: the service keeps answering meanwhile
            found = await asyncio.to_thread(service.compute, inputs, on=job.as_of)
            await self._phase(job_id, JobPhase.WRITING, service.matched_counts(inputs, found))
            async with self._sessions()() as session:
                job = await IdentificationRepository(session).job(job_id)
                await outcome.write_outcome(
                    session,
                    job,
                    found,
                    inputs.lists,
                    notice_grace_days=self.app.state.settings.notice_grace_days,
                )
                await session.commit()
            log.info("identification.finished", extra={"job_id": str(job_id), **job.counts})
        except asyncio.CancelledError:
            raise  # shutdown: the next start-up marks the job failed
        except Exception as exc:  # the job boundary: record the failure, never raise
            log.exception("identification.failed", extra={"job_id": str(job_id)})
            async with self._sessions()() as session:
                await service.fail(
                    session, job_id, detail=f"任务出错 / failed: {type(exc).__name__}: {exc}"
                )
                await session.commit()
        relay = self.app.state.relay
        if relay is not None:
            relay.wake()


def install_job_runner(app: FastAPI, settings: AssistanceSettings) -> None:
    """Wrap the app's lifespan: `app.state.identification_jobs` runs jobs and beats for them;
    at start-up, jobs whose process is gone are failed; running ones are cancelled at exit."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with inner(app):
            runner = JobRunner(
                app,
                heartbeat_seconds=settings.identification_heartbeat_seconds,
                stale_seconds=settings.identification_stale_seconds,
            )
            app.state.identification_jobs = runner
            await runner.sweep()
            runner.begin()
            try:
                yield
            finally:
                await runner.stop()

    app.router.lifespan_context = lifespan
