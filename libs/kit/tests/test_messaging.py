"""Outbox relay and consumer against a real nats-server and real databases."""

import json
from typing import Any

from nats.js import JetStreamContext
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from junheng_contracts.enrollment import SchoolRegistered
from junheng_kit.ids import uuid7
from junheng_kit.messaging import Subscriptions, add_event
from junheng_kit.messaging.consumer import DEAD_LETTERED, ConsumerRunner
from junheng_kit.messaging.outbox import REPUBLISHED, OutboxRelay
from junheng_kit.tables import OutboxMessage, ProcessedMessage
from junheng_kit.testing.plugin import event_id_of, eventually, school_registered, stream_messages


async def published_ids(js: JetStreamContext, code: str) -> list[str]:
    messages = await stream_messages(js, "enrollment.school.registered")
    return [
        str(event_id_of(m.data))
        for m in messages
        if event_id_of(m.data) and json.loads(m.data).get("subject") == code
    ]


async def letters_of(js: JetStreamContext, durable: str, event_id: str) -> list[Any]:
    """The dead letters of `event_id` the kit's `durable` published."""
    letters = await stream_messages(js, f"dlq.kit.{durable}")
    return [m for m in letters if event_id_of(m.data) == event_id]


class TestOutboxRelay:
    async def test_a_rolled_back_event_is_never_published(
        self, sessions: async_sessionmaker[AsyncSession], js: JetStreamContext, backend: str
    ) -> None:
        code = f"2115{uuid7().int % 10**6:06d}"
        async with sessions() as session:
            add_event(session, school_registered(code))
            await session.flush()
            await session.rollback()
        assert await OutboxRelay(sessions, js).publish_pending() == 0
        assert await published_ids(js, code) == []

    async def test_a_crash_after_publish_before_marking_sent_publishes_once(
        self, sessions: async_sessionmaker[AsyncSession], js: JetStreamContext
    ) -> None:
        event = school_registered()
        async with sessions() as session:
            add_event(session, event)
            await session.commit()
        relay = OutboxRelay(sessions, js)
        republished = REPUBLISHED.labels(event.type)
        before = republished._value.get()
        assert await relay.publish_pending() == 1
        assert republished._value.get() == before  # a first publish is no duplicate
        async with sessions() as session:  # as if the process died before recording sent_at
            await session.execute(update(OutboxMessage).values(sent_at=None))
            await session.commit()
        assert await relay.publish_pending() == 1  # published again …
        assert await published_ids(js, event.subject) == [event.id]  # … and deduplicated
        assert republished._value.get() == before + 1  # … and counted on /metrics
        async with sessions() as session:
            pending = await session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None))
            )
        assert pending is None


class TestPoisonEvents:
    async def test_a_handler_that_keeps_failing_goes_to_the_dead_letter_subject(
        self, sessions: async_sessionmaker[AsyncSession], js: JetStreamContext, backend: str
    ) -> None:
        durable = f"kit-test-poison-{backend}-{uuid7().hex[-6:]}"
        calls: list[str] = []
        subscriptions = Subscriptions()

        @subscriptions.on(SchoolRegistered, durable=durable)
        async def always_fails(session: AsyncSession, event: Any) -> None:
            calls.append(event.id)
            raise RuntimeError("handler bug")

        runner = ConsumerRunner("kit", subscriptions, sessions, js, max_deliver=3)
        before = DEAD_LETTERED.labels(durable)._value.get()
        await runner.start()
        event = school_registered()
        try:
            await js.publish(
                event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id}
            )
            letters = await eventually(lambda: letters_of(js, durable, event.id), timeout=30)
        finally:
            await runner.stop()
        assert [c for c in calls if c == event.id] == [event.id] * 3
        assert letters[0].headers["Junheng-Original-Subject"] == "enrollment.school.registered"
        assert len(letters) == 1
        # the stream's earlier events (other tests) fail the same way: one letter each, counted
        assert DEAD_LETTERED.labels(durable)._value.get() - before >= 1
        async with sessions() as session:  # the failed attempts left no inbox row behind
            assert (
                await session.scalar(
                    select(ProcessedMessage.id).where(ProcessedMessage.event_id == event.id)
                )
                is None
            )


class TestDatabaseOutage:
    async def test_an_event_met_by_a_database_outage_is_applied_once_not_dead_lettered(
        self, sessions: async_sessionmaker[AsyncSession], js: JetStreamContext, backend: str
    ) -> None:
        """A restart of the database outlasting max_deliver used to dead-letter sound events."""
        durable = f"kit-test-outage-{backend}-{uuid7().hex[-6:]}"
        event = school_registered()
        attempts: list[int] = []
        subscriptions = Subscriptions()

        @subscriptions.on(SchoolRegistered, durable=durable)
        async def database_down_for_a_while(session: AsyncSession, seen: Any) -> None:
            if seen.id == event.id and len(attempts) < 4:
                attempts.append(1)
                raise ConnectionRefusedError(111, "Connect call failed")  # as asyncpg raises it

        runner = ConsumerRunner("kit", subscriptions, sessions, js, max_deliver=2)
        before = DEAD_LETTERED.labels(durable)._value.get()
        await runner.start()
        try:
            await js.publish(
                event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id}
            )

            async def applied() -> list[Any]:
                async with sessions() as session:
                    return list(
                        (
                            await session.scalars(
                                select(ProcessedMessage.id).where(
                                    ProcessedMessage.event_id == event.id
                                )
                            )
                        ).all()
                    )

            inbox = await eventually(applied, timeout=30)
        finally:
            await runner.stop()
        assert len(attempts) == 4  # more failures than max_deliver allows
        assert len(inbox) == 1
        assert DEAD_LETTERED.labels(durable)._value.get() == before


class TestBatches:
    async def test_a_fetch_is_applied_in_one_transaction_and_a_poison_event_fails_alone(
        self, sessions: async_sessionmaker[AsyncSession], js: JetStreamContext, backend: str
    ) -> None:
        durable = f"kit-test-batch-{backend}-{uuid7().hex[-6:]}"
        events = [school_registered() for _ in range(12)]
        poison = events[5]
        mine = {event.id for event in events}
        applied_in: dict[str, list[int]] = {}  # event id → the sessions that ran its handler
        subscriptions = Subscriptions()

        @subscriptions.on(SchoolRegistered, durable=durable)
        async def record(session: AsyncSession, event: Any) -> None:
            if event.id not in mine:
                return  # the stream's earlier events (other tests)
            applied_in.setdefault(event.id, []).append(id(session))
            if event.id == poison.id:
                raise RuntimeError("handler bug")

        for event in events:  # all in the stream before the consumer starts: fetched together
            await js.publish(
                event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id}
            )
        runner = ConsumerRunner("kit", subscriptions, sessions, js, max_deliver=2)
        await runner.start()
        try:

            async def inbox() -> list[str] | None:
                async with sessions() as session:
                    ids = list(
                        await session.scalars(
                            select(ProcessedMessage.event_id).where(
                                ProcessedMessage.consumer == durable,
                                ProcessedMessage.event_id.in_(mine),
                            )
                        )
                    )
                return ids if len(ids) == len(events) - 1 else None

            applied = await eventually(inbox, timeout=30)
            letters = await eventually(lambda: letters_of(js, durable, poison.id), timeout=30)
        finally:
            await runner.stop()
        assert sorted(applied) == sorted(mine - {poison.id})  # each sound event once
        assert len(letters) == 1
        sessions_used = {s for runs in applied_in.values() for s in runs}
        # the first fetch ran several handlers in one session (one transaction), was rolled
        # back by the poison event, and its events were then applied each in its own
        first_try = applied_in[events[0].id][0]
        assert sum(first_try in runs for runs in applied_in.values()) > 1
        assert len(sessions_used) > 1
        assert len(applied_in[poison.id]) >= 2  # tried together, then alone until dead-lettered
