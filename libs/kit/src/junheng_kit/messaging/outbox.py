"""Transactional outbox: the event row commits or rolls back with the use-case's change."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from uuid import UUID

from nats.js import JetStreamContext
from prometheus_client import Counter, Gauge
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from junheng_contracts import CloudEvent
from junheng_kit.db import EVENTS_STAGED, READ_ONLY
from junheng_kit.tables import OutboxMessage
from junheng_kit.timeutil import utcnow

log = logging.getLogger("junheng.outbox")

PUBLISHED = Counter("junheng_outbox_published_total", "Outbox events published", ["subject"])
PENDING = Gauge("junheng_outbox_pending", "Outbox events not yet published")
REPUBLISHED = Counter(
    "junheng_outbox_duplicates_total",
    "Outbox events published again (after a crash or a lost ack) that JetStream dropped as "
    "duplicates of the same Nats-Msg-Id",
    ["subject"],
)


def add_event(session: AsyncSession, event: CloudEvent[Any]) -> None:
    """Stage `event` in the caller's transaction; the relay publishes it after commit."""
    session.add(
        OutboxMessage(
            id=_uuid(event.id), subject=event.type, payload=event.model_dump_json().encode()
        )
    )
    session.info[EVENTS_STAGED] = True


def _uuid(value: str) -> UUID:
    return UUID(value)


class OutboxRelay:
    """Publishes committed outbox rows to JetStream with `Nats-Msg-Id` = event id.

    A crash between commit and publish loses nothing: the row stays pending and is published on
    the next pass; JetStream's duplicate window drops a resend of a row published just before a
    crash. On PostgreSQL, `FOR UPDATE SKIP LOCKED` keeps replicas from publishing the same rows.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        js: JetStreamContext,
        *,
        poll_seconds: float = 0.5,
        batch: int = 500,
    ) -> None:
        self.sessionmaker, self.js = sessionmaker, js
        self.poll_seconds, self.batch = poll_seconds, batch
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                published = await self.publish_pending()
            except asyncio.CancelledError:
                raise
            except Exception:  # the relay boundary: DB or NATS down, the next pass retries
                log.warning("outbox.relay_failed", exc_info=True)
                published = 0
                await asyncio.sleep(self.poll_seconds)
            if published < self.batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                self._wake.clear()

    async def publish_pending(self) -> int:
        async with self.sessionmaker() as session:
            sqlite = session.get_bind().dialect.name == "sqlite"
            if sqlite:  # read the pending rows without queueing for the write lock
                await session.connection(execution_options={READ_ONLY: True})
            query = (
                select(OutboxMessage.id, OutboxMessage.subject, OutboxMessage.payload)
                .where(OutboxMessage.sent_at.is_(None))
                .order_by(OutboxMessage.id)
                .limit(self.batch)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = (await session.execute(query)).all()
            if not rows:
                await session.rollback()
                PENDING.set(0)
                return 0
            if sqlite:
                # SQLite's write lock would be held while waiting for NATS (up to the ack
                # timeout, much longer in an outage) and block every write of the service;
                # one file has one relay, so nothing needs the rows locked
                await session.rollback()
            acks = [
                await self.js.publish_async(subject, payload, headers={"Nats-Msg-Id": str(row_id)})
                for row_id, subject, payload in rows
            ]
            answers = await asyncio.wait_for(asyncio.gather(*acks), timeout=10)
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([r[0] for r in rows]))
                .values(sent_at=utcnow())
            )
            await session.commit()
        for (_, subject, _), answer in zip(rows, answers, strict=True):
            PUBLISHED.labels(subject).inc()
            if getattr(answer, "duplicate", False):
                REPUBLISHED.labels(subject).inc()
        log.debug("outbox.published", extra={"count": len(rows)})
        return len(rows)
