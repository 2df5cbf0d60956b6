"""Fan-out: every producer's events become deliveries.

The gateway replicas share one durable pull consumer per producer stream (`gateway-webhooks`,
created at the first start with deliver policy `new`: the events published from then on),
filtered on the event types some subscription can receive (`interest`: an event nobody
subscribed to never reaches a gateway). For each event, one transaction records a pending
delivery per enabled subscription that lists its type and whose jurisdiction covers the event's
(and whose client still holds the producer's read scope); then the message is acked. A message
delivered again (a replica died before its ack) records nothing twice: a delivery is unique per
(subscription, event id). A fetch brings up to `FETCH_BATCH` messages, and the events no
subscription wants (another jurisdiction's) are acked without a transaction. Which
subscriptions exist is read at most once per `SUBSCRIBERS_FRESH_SECONDS` per replica (its
readers share the list) and again as soon as a subscription created or enabled on this replica
commits; an event some subscription may receive is then decided inside its recording
transaction, so the list only ever saves work. A subscription created on another replica
receives the events published from at most that second after it was created. The services
never wait for any of this: they publish to their streams as before.
"""

import asyncio
import contextlib
import logging
import time
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from prometheus_client import Counter
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.webhooks import rules
from gateway.webhooks.delivery import DeliveryWorker
from gateway.webhooks.interest import Interest
from gateway.webhooks.repository import (
    Claimed,
    DeliveryRepository,
    Receiving,
    SubscriptionRepository,
)
from junheng_contracts import STREAMS
from junheng_kit.db import READ_ONLY, is_database_unavailable
from junheng_kit.messaging.consumer import GATHER_SECONDS
from junheng_kit.natsauth import WEBHOOK_DURABLE
from junheng_kit.readiness import Readiness

log = logging.getLogger("gateway.webhooks.fanout")
# pull subscriptions per stream and replica, each recording its message in its own
# transaction: a burst is recorded while the previous messages' POSTs and commits run
READERS_PER_STREAM = 4
FETCH_BATCH = 64  # messages a reader takes at once (the first waited for, the rest if there)
SUBSCRIBERS_FRESH_SECONDS = 1.0  # how long a replica's readers share one read of the list

FANNED_OUT = Counter(
    "junheng_gateway_webhook_deliveries_recorded_total",
    "Deliveries recorded from events (one per matching subscription)",
    ["type"],
)


class Fanout:
    """`READERS_PER_STREAM` tasks per producer stream, each binding the durable (retried while
    the producer has not created its stream yet), then fetching, recording and acking one
    fetch at a time. `waiting` names the streams not bound yet."""

    def __init__(
        self,
        nc: Client,
        js: JetStreamContext,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        worker: DeliveryWorker | None,
    ) -> None:
        self.js, self.sessionmaker, self.worker = js, sessionmaker, worker
        self.interest = Interest(nc, js, sessionmaker)
        self.waiting: set[str] = set()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._handling: set[str] = set()  # readers recording a message
        self._subscriptions: list[Any] = []
        self._stopping = False
        self._known: tuple[float, list[Receiving]] | None = None  # (read at, subscriptions)
        self._generation = 0  # moves on when this replica changes a subscription

    def forget_subscribers(self) -> None:
        """The next fetch reads the subscriptions again (one was created or enabled here)."""
        self._generation += 1
        self._known = None

    def forget_subscribers_after_commit(self, session: AsyncSession) -> None:
        """`forget_subscribers` once `session`'s transaction (which changes a subscription)
        commits: a fetch between the change and its commit would read the old list."""
        event.listen(session.sync_session, "after_commit", lambda _: self.forget_subscribers())

    def start(self) -> None:
        for stream in STREAMS:
            self.waiting.add(stream)
            for reader in range(READERS_PER_STREAM):
                key = f"{stream}/{reader}"
                self._tasks[key] = asyncio.create_task(
                    self._run(key, stream), name=f"webhooks-{key}"
                )
        self.interest.start()

    async def readiness(self, app: Any) -> Readiness:
        """`/readyz` check `webhooks`: degraded (still serving) while a producer's stream is
        missing — the producer has not started yet."""
        if self.waiting:
            return Readiness("degraded", {"waiting_for_stream": sorted(self.waiting)})
        return Readiness("ok")

    async def stop(self) -> None:
        """A loop waiting to bind or for messages ends at once; one recording a message ends
        after it (up to 3 s). A message a cancelled pull had already taken is redelivered to
        another replica after the ack wait."""
        self._stopping = True
        await self.interest.stop()
        for key, task in self._tasks.items():
            if key not in self._handling:
                task.cancel()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks.values(), timeout=3)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=2)
        self._tasks.clear()
        # a pull subscription left with unread status messages would hold the connection's
        # drain for its whole timeout
        for subscription in self._subscriptions:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
        self._subscriptions.clear()

    async def _run(self, key: str, stream: str) -> None:
        subscription = await self._bind(stream)
        if subscription is None:
            return
        self._subscriptions.append(subscription)
        self.waiting.discard(stream)
        await self._loop(key, subscription)

    async def _bind(self, stream: str) -> Any:
        wait = 0.25
        while not self._stopping:
            try:
                await self.interest.ensure_durable(stream)
                return await self.js.pull_subscribe_bind(WEBHOOK_DURABLE, stream=stream)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - no stream yet, or JetStream busy: retry
                log.warning(
                    "webhooks.waiting_for_stream", extra={"stream": stream, "error": str(exc)}
                )
            await asyncio.sleep(wait)
            wait = min(wait * 2, 5.0)
        return None

    async def _loop(self, key: str, subscription: Any) -> None:
        while not self._stopping:
            try:
                messages = await self._fetch(subscription)
            except TimeoutError:  # nothing published meanwhile
                continue
            except asyncio.CancelledError:
                raise
            except Exception:  # NATS reconnecting: poll again
                log.warning("webhooks.fetch_failed", extra={"reader": key}, exc_info=True)
                await asyncio.sleep(1)
                continue
            self._handling.add(key)
            try:
                await self.handle_fetched(messages)
            finally:
                self._handling.discard(key)

    async def _fetch(self, subscription: Any) -> list[Msg]:
        """The next message as soon as it comes (waiting up to a second), then what else is
        there within `GATHER_SECONDS`, up to `FETCH_BATCH` (as the services' consumers fetch:
        one pull for the whole batch would hold the first message until it filled)."""
        first: list[Msg] = await subscription.fetch(1, timeout=1)
        try:
            more: list[Msg] = await subscription.fetch(FETCH_BATCH - 1, timeout=GATHER_SECONDS)
        except TimeoutError:
            more = []
        return first + more

    async def handle_fetched(self, messages: list[Msg]) -> None:
        """A fetch's messages in order: an event none of the subscriptions receives is acked at
        once, the others recorded one by one (`handle`). When the list cannot be read (the
        database is down), each message is handled alone, which waits for it."""
        try:
            subscribers = await self._recent_subscribers()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - `handle` retries or naks each message
            subscribers = None
        for message in messages:
            if subscribers is not None:
                published = rules.read_published(message.data)
                if published is not None and not _receiving(subscribers, published):
                    await message.ack()
                    continue
            await self.handle(message)

    async def handle(self, message: Msg) -> None:
        published = rules.read_published(message.data)
        if published is None:
            log.warning("webhooks.not_an_event", extra={"subject": message.subject})
            await message.term()
            return
        while True:
            try:
                claimed = await self._record(published, message.data)
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the consumer boundary: an outage waits, a fault retries
                if not is_database_unavailable(exc) or self._stopping:
                    log.error(
                        "webhooks.fanout_failed", extra={"event_id": published.id}, exc_info=True
                    )
                    with contextlib.suppress(Exception):
                        await message.nak(delay=5)
                    return
                log.warning("webhooks.database_unavailable", extra={"event_id": published.id})
            await asyncio.sleep(1)
            with contextlib.suppress(Exception):  # NATS may be down too: ack_wait decides
                await message.in_progress()
        await message.ack()
        if claimed is None:
            return
        recorded, held = claimed
        if recorded:
            FANNED_OUT.labels(published.type).inc(recorded)
        if self.worker is not None:
            self.worker.begin(held)  # attempted here at once
            if len(held) < recorded:
                self.worker.wake()

    async def _record(
        self, published: rules.Published, payload: bytes
    ) -> tuple[int, list[Claimed]] | None:
        """Deliveries of the event, one per subscription that receives it: read first (most
        events match nothing and take no write lock), then written in one transaction, the
        subscriptions read again inside it (one deleted meanwhile is left out). Those this
        replica's worker has room for are recorded held by it and returned to be attempted
        now. None: nobody receives the event."""
        if not await self._receivers(published, read_only=True):
            return None
        for _ in range(3):
            async with self.sessionmaker() as session:
                receivers = await self._receivers(published, session=session)
                lease = (
                    self.worker.lease_for([r.subscription_id for r in receivers])
                    if self.worker is not None and receivers
                    else None
                )
                try:
                    held = await DeliveryRepository(session).record(
                        published, payload, receivers, lease=lease
                    )
                    await session.commit()
                except IntegrityError:  # a subscription deleted between read and insert
                    await session.rollback()
                    continue
                return len(receivers), held
        raise RuntimeError(f"deliveries of {published.id} could not be recorded")

    async def _receivers(
        self,
        published: rules.Published,
        *,
        session: AsyncSession | None = None,
        read_only: bool = False,
    ) -> list[Receiving]:
        return _receiving(await self._subscribers(session=session, read_only=read_only), published)

    async def _recent_subscribers(self) -> list[Receiving]:
        """The subscriptions as read at most `SUBSCRIBERS_FRESH_SECONDS` ago by this replica
        (a read that a local change overtook is not kept)."""
        now = time.monotonic()
        if self._known is not None and now - self._known[0] < SUBSCRIBERS_FRESH_SECONDS:
            return self._known[1]
        generation = self._generation
        found = await self._subscribers(read_only=True)
        if generation == self._generation:
            self._known = (now, found)
        return found

    async def _subscribers(
        self, *, session: AsyncSession | None = None, read_only: bool = False
    ) -> list[Receiving]:
        if session is None:
            async with self.sessionmaker() as own:
                if read_only:
                    await own.connection(execution_options={READ_ONLY: True})
                return await self._subscribers(session=own)
        return list(await SubscriptionRepository(session).subscribers())


def _receiving(subscribers: list[Receiving], published: rules.Published) -> list[Receiving]:
    return [
        receiving
        for receiving in subscribers
        if rules.receives(receiving.subscriber, published.type, published.jurisdiction)
    ]
