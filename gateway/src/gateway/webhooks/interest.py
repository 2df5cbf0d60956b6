"""The fan-out reads only the events some subscription can receive.

Each producer stream's durable `gateway-webhooks` is filtered on the event types (their NATS
subjects) listed by an enabled subscription of an active client that holds the producer's read
scope; while there is none, on `<producer>._unsubscribed`, a subject no service may publish.
An event nobody subscribed to never reaches a gateway then: no pull, no ack, no acked state
replicated between the NATS nodes. Most of a province's events (submissions, imports) are such
events.

Changes to a filter take turns on the stream's row in `webhook_stream_filter`, locked by an
UPDATE until commit (a row lock on PostgreSQL, the write lock on SQLite):

- `widen`, in the transaction that creates or enables a subscription, before it commits: the
  filter gains the subscription's types, so an event published after the answer reaches the
  fan-out on whichever replica reads it. When NATS cannot be reached the request fails (503,
  nothing written).
- `reconcile`, by every replica: the filter set to exactly what the committed subscriptions
  want. A replica reads the subscriptions once every `CHECK_SECONDS` without a lock and
  reconciles a stream when they differ from its stored filter, and every `VERIFY_SECONDS`
  compares the durable itself (recreated, or changed by hand). This narrows a filter after a
  subscription is deleted or disabled or its client disabled.

Under the lock a reconciliation sees every subscription committed before it, and a widening
holds the row until its subscription commits: no replica drops a type a committed subscription
lists. A type added to a filter is delivered from where the durable stands: its events
published from then on.
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence

import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.webhooks import rules
from gateway.webhooks.models import WebhookStreamFilter
from gateway.webhooks.repository import Receiving, SubscriptionRepository
from junheng_contracts import STREAMS
from junheng_kit.db import READ_ONLY, insert_ignoring_conflicts
from junheng_kit.i18n import t
from junheng_kit.natsauth import WEBHOOK_DURABLE
from junheng_kit.problems import ServiceUnavailable
from junheng_kit.timeutil import utcnow

log = logging.getLogger("gateway.webhooks.interest")

ACK_WAIT_SECONDS = 30.0
MAX_ACK_PENDING = 1000
CHECK_SECONDS = 1.0  # how often a replica compares the subscriptions with the stored filters
VERIFY_SECONDS = 30.0  # how often it compares the stored filters with the durables themselves
NATS_TIMEOUT_SECONDS = 2.0  # a change waits this long at most, holding its rows' lock

PRODUCERS = {pattern.removesuffix(".>"): stream for stream, pattern in STREAMS.items()}


def nothing_subject(stream: str) -> str:
    """The filter of a stream nobody subscribed to: a subject in the stream that no service
    may publish (each publishes only its own event types)."""
    return f"{STREAMS[stream].removesuffix('.>')}._unsubscribed"


def stream_of(event_type: str) -> str | None:
    return PRODUCERS.get(event_type.split(".", 1)[0])


def wanted(subscribers: Iterable[Receiving]) -> dict[str, list[str]]:
    """stream → the event types (sorted) that some subscription can receive: listed by it, its
    client holding the producer's read scope. Every stream is a key."""
    found: dict[str, set[str]] = {stream: set() for stream in STREAMS}
    for receiving in subscribers:
        subscriber = receiving.subscriber
        for event_type in subscriber.event_types:
            stream = stream_of(event_type)
            if stream is not None and rules.read_scope(event_type) in subscriber.client_scopes:
                found[stream].add(event_type)
    return {stream: sorted(types) for stream, types in found.items()}


def filter_of(stream: str, types: Sequence[str]) -> list[str]:
    """The durable's filter subjects for `types` (event types are their own subjects)."""
    return list(types) or [nothing_subject(stream)]


def durable_config(stream: str, types: Sequence[str]) -> ConsumerConfig:
    """The fan-out's durable (deliver policy `new`: the events published from its creation)."""
    return ConsumerConfig(
        durable_name=WEBHOOK_DURABLE,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.NEW,
        ack_wait=ACK_WAIT_SECONDS,
        filter_subjects=filter_of(stream, types),
        max_ack_pending=MAX_ACK_PENDING,
    )


class Interest:
    """Keeps each stream's durable filtered on what the subscriptions want (module docstring)."""

    def __init__(
        self, nc: Client, js: JetStreamContext, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        self.nc, self.js, self.sessionmaker = nc, js, sessionmaker
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    # --- the durable ---------------------------------------------------------------------------

    async def ensure_durable(self, stream: str) -> None:
        """Create the stream's durable if it does not exist, filtered on what the subscriptions
        want (as a reconciliation at the same moment would; nothing before the first
        subscription); an existing one is left as it is: the reconciliations correct it."""
        try:
            await self.js.consumer_info(stream, WEBHOOK_DURABLE, timeout=NATS_TIMEOUT_SECONDS)
            return
        except NotFoundError:
            pass
        async with self.sessionmaker() as session:
            await session.connection(execution_options={READ_ONLY: True})
            want = wanted(await SubscriptionRepository(session).subscribers())
        await self._apply(stream, want[stream])

    async def _apply(self, stream: str, types: Sequence[str]) -> None:
        await self.js.add_consumer(
            stream, durable_config(stream, types), timeout=NATS_TIMEOUT_SECONDS
        )
        log.info("webhooks.durable_filtered", extra={"stream": stream, "types": list(types)})

    async def _filtered_on(self, stream: str) -> list[str] | None:
        """The durable's event types as NATS holds them (None: no durable)."""
        try:
            info = await self.js.consumer_info(
                stream, WEBHOOK_DURABLE, timeout=NATS_TIMEOUT_SECONDS
            )
        except NotFoundError:
            return None
        subjects = info.config.filter_subjects or (
            [info.config.filter_subject] if info.config.filter_subject else []
        )
        return sorted(s for s in subjects if s != nothing_subject(stream)) if subjects else None

    # --- changes -------------------------------------------------------------------------------

    async def widen(self, session: AsyncSession) -> None:
        """In a transaction that created or enabled a subscription (flushed): every stream's
        filter gains the types the session's subscriptions want, before the commit."""
        want = wanted(await SubscriptionRepository(session).subscribers())
        stored = await _locked(session, [s for s, types in want.items() if types])
        for stream, types in want.items():
            widened = sorted(set(stored.get(stream, [])) | set(types))
            if widened == stored.get(stream, []):
                continue
            try:
                await self._apply(stream, widened)
            except (nats.errors.Error, TimeoutError) as exc:
                raise ServiceUnavailable(
                    t(
                        "网关暂时无法连接 NATS，未作任何更改，请稍后重试",
                        "the gateway cannot reach NATS just now; nothing was changed: try "
                        "again shortly",
                    ),
                    headers={"Retry-After": "1"},
                ) from exc
            await _store(session, stream, widened)

    async def reconcile(self, streams: Sequence[str], *, drifted: Sequence[str] = ()) -> None:
        """Set the filters of `streams` to what the committed subscriptions want, under their
        rows' lock: those whose stored filter differs, and `drifted` (whose durable was seen to
        differ) in any case."""
        async with self.sessionmaker() as session:
            stored = await _locked(session, streams)
            want = wanted(await SubscriptionRepository(session).subscribers())
            for stream in streams:
                types = want[stream]
                if stored.get(stream) == types and stream not in drifted:
                    continue
                await self._apply(stream, types)
                await _store(session, stream, types)
            await session.commit()

    async def check(self, *, verify: bool) -> None:
        """Reconcile the streams whose stored filter differs from what the subscriptions want,
        and with `verify` those whose durable differs — both read without a lock, so a replica
        never holds the database's lock while it waits for NATS to answer a read; nothing
        while NATS is away."""
        if not self.nc.is_connected:
            return
        async with self.sessionmaker() as session:
            await session.connection(execution_options={READ_ONLY: True})
            stored = await _stored(session)
            want = wanted(await SubscriptionRepository(session).subscribers())
        drifted = (
            [s for s in sorted(STREAMS) if await self._filtered_on(s) != want[s]] if verify else []
        )
        differing = sorted({s for s in STREAMS if stored.get(s, []) != want[s]} | set(drifted))
        if differing:
            await self.reconcile(differing, drifted=drifted)

    # --- the loop ------------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._keep(), name="webhooks-interest")

    async def stop(self) -> None:
        # the flag too: a cancellation that lands as a library call returns can be lost
        # (asyncio.wait_for before Python 3.12), and the loop must end all the same
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _keep(self) -> None:
        rounds_per_verify = max(1, round(VERIFY_SECONDS / CHECK_SECONDS))
        round_ = 0
        while not self._stopping:
            try:
                await self.check(verify=round_ % rounds_per_verify == 0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - NATS or the database away: next round
                log.warning(
                    "webhooks.interest_not_reconciled",
                    extra={"error": type(exc).__name__, "reason": str(exc).split("\n")[0]},
                )
                round_ = -1  # verify again once it works
            round_ += 1
            await asyncio.sleep(CHECK_SECONDS)


async def _stored(session: AsyncSession) -> dict[str, list[str]]:
    rows = await session.execute(select(WebhookStreamFilter.stream, WebhookStreamFilter.types))
    return {stream: sorted(types) for stream, types in rows.all()}


async def _locked(session: AsyncSession, streams: Sequence[str]) -> dict[str, list[str]]:
    """Lock the rows of `streams` (created if missing) in a fixed order; → every stored filter."""
    ordered = sorted(set(streams))
    if ordered:
        await session.execute(
            insert_ignoring_conflicts(session, WebhookStreamFilter.__table__, "stream"),
            [{"stream": s, "types": [], "updated_at": utcnow()} for s in ordered],
        )
        for stream in ordered:
            await session.execute(
                update(WebhookStreamFilter)
                .where(WebhookStreamFilter.stream == stream)
                .values(locked_at=utcnow())
            )
    return await _stored(session)


async def _store(session: AsyncSession, stream: str, types: Sequence[str]) -> None:
    await session.execute(
        update(WebhookStreamFilter)
        .where(WebhookStreamFilter.stream == stream)
        .values(types=list(types), updated_at=utcnow())
    )
