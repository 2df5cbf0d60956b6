"""Idempotent event consumers: inbox row + handler in one transaction, ack after commit.

Each (consumer service, purpose) has a durable pull consumer shared by the service's replicas.
The messages one fetch brings (up to `batch`) are applied together: one transaction holds every
new event's inbox row and handler, in stream order, then they are acked. Should any of them
fail, the transaction is rolled back and each is applied alone in its own transaction, as a
lone message always is: a duplicate is acked without running its handler again (the inbox
row), a malformed event is terminated at once, a handler that keeps failing is retried with
backoff and after `max_deliver` attempts goes to `dlq.<service>.<durable>` and is terminated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from junheng_contracts import CloudEvent
from junheng_kit.context import reset_request_id, set_request_id
from junheng_kit.db import is_database_unavailable, wants_relay
from junheng_kit.messaging.connection import dead_letter_subject
from junheng_kit.readiness import Readiness
from junheng_kit.tables import ProcessedMessage

log = logging.getLogger("junheng.consumer")
GATHER_SECONDS = 0.005  # after the first message, how long a fetch waits for the rest

APPLIED = Counter("junheng_events_applied_total", "Events applied", ["durable", "type"])
DUPLICATES = Counter("junheng_events_duplicate_total", "Duplicate events ignored", ["durable"])
DEAD_LETTERED = Counter("junheng_events_dead_lettered_total", "Events dead-lettered", ["durable"])
TERMINATED = Counter("junheng_events_malformed_total", "Malformed events terminated", ["durable"])

Handler = Callable[[AsyncSession, Any], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Subscription:
    event_type: type[CloudEvent[Any]]
    durable: str
    handler: Handler

    @property
    def subject(self) -> str:
        return self.event_type.event_type


@dataclass
class Subscriptions:
    """The events a service consumes: `@subscriptions.on(SchoolRegistered, durable="…")`."""

    entries: list[Subscription] = field(default_factory=list)

    def on(
        self, event_type: type[CloudEvent[Any]], *, durable: str
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.entries.append(Subscription(event_type, durable, handler))
            return handler

        return register

    def durables(self) -> list[str]:
        """Each durable once, in the order first registered."""
        return list(dict.fromkeys(entry.durable for entry in self.entries))


Parsed = tuple[Msg, Subscription, CloudEvent[Any]]  # a message, its subscription and event


def stream_for(subject: str) -> str:
    return subject.split(".", 1)[0].upper()


class ConsumerRunner:
    def __init__(
        self,
        service: str,
        subscriptions: Subscriptions,
        sessionmaker: async_sessionmaker[AsyncSession],
        js: JetStreamContext,
        *,
        max_deliver: int = 5,
        on_committed: Callable[[], None] | None = None,
        batch: int = 64,
    ) -> None:
        self.service, self.subscriptions = service, subscriptions
        self.sessionmaker, self.js = sessionmaker, js
        self.max_deliver, self.batch = max_deliver, batch
        self.on_committed = on_committed
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.waiting: set[str] = set()  # durables not bound yet

    async def start(self, bind_wait: float = 5.0) -> None:
        """A task per durable: it binds its pull consumer — retried with backoff while the
        producer's stream does not exist yet (the producer creates it) or JetStream does not
        answer — and then fetches and applies. `waiting` names the durables not bound yet."""
        by_durable: dict[str, list[Subscription]] = {}
        for entry in self.subscriptions.entries:
            by_durable.setdefault(entry.durable, []).append(entry)
        for durable, entries in by_durable.items():
            self.waiting.add(durable)
            self._tasks.append(
                asyncio.create_task(self._run(durable, entries), name=f"consumer-{durable}")
            )
        deadline = time.monotonic() + bind_wait
        while self.waiting and time.monotonic() < deadline:  # usually bound in milliseconds
            await asyncio.sleep(0.01)

    async def readiness(self, app: Any) -> Readiness:
        """The `/readyz` check `consumers`: degraded (still serving) while a durable waits for its
        producer's stream — the producer has not started yet, or JetStream is busy."""
        if self.waiting:
            return Readiness("degraded", {"waiting_for_stream": sorted(self.waiting)})
        return Readiness("ok")

    async def _bind(self, durable: str, entries: list[Subscription]) -> Any:
        stream = stream_for(entries[0].subject)
        config = ConsumerConfig(
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=self.max_deliver + 1,
            ack_wait=10,
            filter_subjects=[e.subject for e in entries],
            max_ack_pending=1000,
        )
        wait = 0.25
        while not self._stopping:
            try:
                await self.js.add_consumer(stream, config)
                return await self.js.pull_subscribe_bind(durable, stream=stream)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - no stream yet, or JetStream busy: retry
                log.warning(
                    "consumer.waiting_for_stream",
                    extra={"durable": durable, "stream": stream, "error": str(exc)},
                )
            await asyncio.sleep(wait)
            wait = min(wait * 2, 5.0)
        return None

    async def _run(self, durable: str, entries: list[Subscription]) -> None:
        sub = await self._bind(durable, entries)
        if sub is None:  # stopped before the stream appeared
            return
        self.waiting.discard(durable)
        await self._loop(durable, sub, {e.subject: e for e in entries})

    async def stop(self) -> None:
        # Each loop sees the flag when its fetch returns (≤ 1 s) and ends between messages, so a
        # message is never abandoned mid-transaction; cancelling a fetch confuses nats-py, so
        # only loops still running after that are cancelled.
        self._stopping = True
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=3)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=2)
        self._tasks.clear()

    async def _loop(self, durable: str, sub: Any, handlers: dict[str, Subscription]) -> None:
        while not self._stopping:
            try:
                messages = await self._fetch(sub)
            except TimeoutError:  # nats-py raises its own subclass or the builtin: no messages
                continue
            except asyncio.CancelledError:
                raise
            except Exception:  # NATS reconnecting or the stream moving: log and poll again
                log.warning("consumer.fetch_failed", extra={"durable": durable}, exc_info=True)
                await asyncio.sleep(1)
                continue
            await self._deliver_while_database_down(durable, handlers, messages)

    async def _fetch(self, sub: Any) -> list[Msg]:
        """The next messages: wait (up to a second) for the first one, then take what else is
        there within `GATHER_SECONDS`, up to the batch. One pull for the whole batch would hold
        the first message until the batch filled or the pull expired — up to a second of
        latency per event whenever fewer than a batch arrive in that second."""
        first: list[Msg] = await sub.fetch(1, timeout=1)
        if self.batch <= 1:
            return first
        try:
            more: list[Msg] = await sub.fetch(self.batch - 1, timeout=GATHER_SECONDS)
        except TimeoutError:
            more = []
        return first + more

    async def _deliver_while_database_down(
        self, durable: str, handlers: dict[str, Subscription], messages: list[Msg]
    ) -> None:
        """A fetch's messages applied. A database outage (restart, failover) is no fault of the
        events: they are retried here, kept in progress, instead of spending their deliveries
        towards the dead letters — and the outage never ends the loop."""
        while True:
            try:
                await self.deliver(durable, handlers, messages)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the loop boundary: an outage retries, anything else logs
                if not is_database_unavailable(exc) or self._stopping:
                    log.error("consumer.deliver_failed", extra={"durable": durable}, exc_info=True)
                    return  # not acked: redelivered after ack_wait
                log.warning("consumer.database_unavailable", extra={"durable": durable})
            await asyncio.sleep(1)
            for msg in messages:
                with contextlib.suppress(Exception):  # NATS may be down too: ack_wait decides
                    await msg.in_progress()

    async def deliver(
        self, durable: str, handlers: dict[str, Subscription], messages: list[Msg]
    ) -> None:
        """Apply `messages` (in stream order): several in one transaction, and if any of them
        fails, each alone; one message alone."""
        parsed: list[Parsed] = []
        for msg in messages:
            found = await self._parse(durable, handlers, msg)
            if found is not None:
                parsed.append((msg, *found))
        if len(parsed) > 1:
            try:
                await self._apply_together(durable, parsed)
                return
            except Exception as exc:  # one of them failed: each on its own below
                if is_database_unavailable(exc):
                    raise
        for msg, entry, event in parsed:
            await self._apply_alone(durable, entry, event, msg)

    async def _apply_together(self, durable: str, parsed: list[Parsed]) -> None:
        """Every new event's inbox row and handler, in order, in one transaction; then acks.
        Raises (rolled back, nothing acked) if any handler or inbox row fails."""
        ids = [event.id for _, _, event in parsed]
        async with self.sessionmaker() as session:
            # an exception leaves the block before the commit: closing the session rolls back
            seen = set(
                await session.scalars(
                    select(ProcessedMessage.event_id).where(
                        ProcessedMessage.consumer == durable,
                        ProcessedMessage.event_id.in_(ids),
                    )
                )
            )
            fresh: list[Parsed] = []
            duplicates: list[Parsed] = []
            for item in parsed:
                (duplicates if item[2].id in seen else fresh).append(item)
                seen.add(item[2].id)  # the same event twice in one fetch: applied once
            for msg, entry, event in fresh:
                session.add(
                    ProcessedMessage(consumer=durable, event_id=event.id, subject=msg.subject)
                )
                token = set_request_id(f"event:{event.id}")
                try:
                    await entry.handler(session, event)
                    await session.flush()  # the next handler reads this one's writes
                finally:
                    reset_request_id(token)
            await session.commit()
            if fresh and wants_relay(session) and self.on_committed:
                self.on_committed()
        for msg, _, event in fresh:
            APPLIED.labels(durable, msg.subject).inc()
            log.info(
                "event.applied",
                extra={"durable": durable, "event_id": event.id, "type": msg.subject},
            )
            await msg.ack()  # only after commit
        for msg, _, _ in duplicates:
            DUPLICATES.labels(durable).inc()
            await msg.ack()  # already applied, by us or a replica

    async def _parse(
        self, durable: str, handlers: dict[str, Subscription], msg: Msg
    ) -> tuple[Subscription, CloudEvent[Any]] | None:
        """The message's subscription and event, or None: an unknown subject or a malformed
        event is terminated (never redelivered)."""
        entry = handlers.get(msg.subject)
        if entry is None:
            await msg.term()
            return None
        try:
            event = entry.event_type.model_validate_json(msg.data)
        except ValidationError:
            TERMINATED.labels(durable).inc()
            log.warning("consumer.malformed", extra={"durable": durable, "subject": msg.subject})
            await msg.term()  # malformed: never redeliver
            return None
        return entry, event

    async def _apply_alone(
        self, durable: str, entry: Subscription, event: CloudEvent[Any], msg: Msg
    ) -> None:
        token = set_request_id(f"event:{event.id}")
        try:
            await self._apply(durable, entry, event, msg)
        finally:
            reset_request_id(token)

    async def _apply(
        self, durable: str, entry: Subscription, event: CloudEvent[Any], msg: Msg
    ) -> None:
        async with self.sessionmaker() as session:
            try:
                session.add(
                    ProcessedMessage(consumer=durable, event_id=event.id, subject=msg.subject)
                )
                await session.flush()  # inbox first: a duplicate fails here
            except IntegrityError:
                await session.rollback()
                DUPLICATES.labels(durable).inc()
                await msg.ack()  # already applied, by us or a replica
                return
            try:
                await entry.handler(session, event)
                await session.commit()
            except Exception as exc:  # the consumer boundary: a failure is retried, then DLQ
                await session.rollback()
                if is_database_unavailable(exc):
                    raise  # not the event's fault: retried until the database answers
                delivered = msg.metadata.num_delivered
                log.warning(
                    "consumer.handler_failed",
                    extra={"durable": durable, "event_id": event.id, "delivered": delivered},
                    exc_info=True,
                )
                if delivered < self.max_deliver:
                    await msg.nak(delay=min(2**delivered, 60) / 4)
                else:
                    await self._dead_letter(durable, msg)
                return
            if wants_relay(session) and self.on_committed:
                self.on_committed()
        APPLIED.labels(durable, msg.subject).inc()
        log.info(
            "event.applied", extra={"durable": durable, "event_id": event.id, "type": msg.subject}
        )
        await msg.ack()  # only after commit

    async def _dead_letter(self, durable: str, msg: Msg) -> None:
        DEAD_LETTERED.labels(durable).inc()
        subject = dead_letter_subject(self.service, durable)
        headers = {
            "Junheng-Original-Subject": msg.subject,
            "Junheng-Delivered": str(msg.metadata.num_delivered),
            # what `python -m junheng_kit.dlq replay` republishes with (Nats-Msg-Id = event id)
            "Junheng-Original-Stream": msg.metadata.stream,
            "Junheng-Original-Sequence": str(msg.metadata.sequence.stream),
        }
        original_id = (msg.headers or {}).get("Nats-Msg-Id")
        if original_id:
            headers["Junheng-Original-Msg-Id"] = original_id
        await self.js.publish(subject, msg.data, headers=headers)
        log.error("consumer.dead_lettered", extra={"durable": durable, "subject": msg.subject})
        await msg.term()
