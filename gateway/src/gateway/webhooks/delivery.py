"""Delivery workers, one per gateway replica: claim due deliveries, POST them signed, record
what came back, retry with backoff, disable a subscription that keeps failing.

- **Claim.** A replica takes due deliveries (pending, next attempt reached, held by nobody, of
  an enabled subscription) in one transaction and holds each for `GATEWAY_WEBHOOK_LEASE_SECONDS`
  under its own owner id: on PostgreSQL rows another replica is claiming are skipped
  (`FOR UPDATE SKIP LOCKED`), on SQLite the claim holds the one write lock. A replica that dies
  mid-attempt lets its leases run out; another then attempts again (at least once; the
  `webhook-id` lets a receiver drop the second copy).
- **Attempt.** The event as published (CloudEvents JSON, `application/cloudevents+json`) with
  `webhook-id` (the delivery's id, the same on every attempt), `webhook-timestamp` (unix
  seconds of this attempt) and `webhook-signature` (Standard Webhooks, v1 HMAC-SHA256); the
  whole POST within `GATEWAY_WEBHOOK_TIMEOUT_SECONDS`, no redirect followed, connecting only to
  addresses checked at that moment (`addresses.GuardedBackend`). A 2xx delivers it; anything
  else, or no answer, is a failed attempt.
- **Retry.** The next attempt waits as long as the delivery has failed so far in its window
  (at least the base, at most the cap, ±20 %: `rules.retry_delay`), until the window (24 h)
  after its first attempt has passed: then it is `failed` (redeliver it by hand).
- **Disable.** A subscription whose every attempt failed for `GATEWAY_WEBHOOK_DISABLE_AFTER_
  SECONDS` (24 h) since its last success is disabled and its pending deliveries `parked`; POST
  `…/enable` makes them due again. New events are not recorded for it while it is disabled.
"""

import asyncio
import collections
import contextlib
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import httpx
from prometheus_client import Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.settings import GatewaySettings
from gateway.webhooks import addresses, rules
from gateway.webhooks.models import DeliveryStatus, WebhookAttempt
from gateway.webhooks.repository import (
    Claimed,
    DeliveryRepository,
    Lease,
    SubscriptionRepository,
)
from gateway.webhooks.sealing import SecretBox, SecretUnreadable
from junheng_kit.batching import Batcher
from junheng_kit.db import READ_ONLY
from junheng_kit.ids import uuid7
from junheng_kit.timeutil import utcnow

log = logging.getLogger("gateway.webhooks.delivery")

ATTEMPTS = Counter(
    "junheng_gateway_webhook_attempts_total",
    "Webhook POSTs by outcome (delivered: a 2xx; failed: anything else or no answer)",
    ["outcome"],
)
ATTEMPT_SECONDS = Histogram(
    "junheng_gateway_webhook_attempt_seconds",
    "Duration of one webhook POST",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DISABLED = Counter(
    "junheng_gateway_webhooks_disabled_total", "Subscriptions disabled after persistent failure"
)


@dataclass(frozen=True, slots=True)
class Outcome:
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class DeliveryWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: GatewaySettings,
        box: SecretBox,
    ) -> None:
        self.sessionmaker, self.settings, self.box = sessionmaker, settings, box
        self.owner = str(uuid7())  # this replica's leases
        self.timeout = settings.webhook_timeout_seconds
        self.client = addresses.delivery_client(
            settings.webhook_allowed_networks,
            timeout=self.timeout,
            max_connections=settings.webhook_concurrency,
        )
        self._busy: dict[UUID, UUID] = {}  # delivery id → subscription id, in flight here
        self._attempts: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._finishes: Batcher[tuple[Claimed, Outcome], None] = Batcher(
            self._finish_all, name="webhook-attempts"
        )

    def wake(self) -> None:
        """Look for due deliveries now (the fan-out recorded some, a slot came free)."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-deliveries")

    async def stop(self) -> None:
        """No new claims; attempts in flight get their timeout to finish, then are cancelled
        (their leases run out and another replica attempts them again)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._attempts:
            _, pending = await asyncio.wait(self._attempts, timeout=self.timeout + 1)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=2)
        await self.client.aclose()

    def lease_for(self, subscriptions: Sequence[UUID]) -> Lease | None:
        """A lease for deliveries of these subscriptions that the fan-out of this replica is
        about to record: they are recorded held by this worker, which attempts them at once
        (`begin`), as many as it has free slots (a few per subscription); None when none."""
        free = self.settings.webhook_concurrency - len(self._busy)
        if free <= 0:
            return None
        chosen = rules.share(
            [(subscription, subscription) for subscription in subscriptions],
            busy=collections.Counter(self._busy.values()),
            per_subscription=self.settings.webhook_per_subscription_concurrency,
            limit=free,
        )
        if not chosen:
            return None
        until = utcnow() + timedelta(seconds=self.settings.webhook_lease_seconds)
        return Lease(self.owner, until, frozenset(chosen))

    def begin(self, claimed: Sequence[Claimed]) -> None:
        """Attempt these deliveries, which this worker holds, now."""
        for item in claimed:
            self._busy[item.delivery_id] = item.subscription_id
            task = asyncio.create_task(self._attempt(item), name=f"webhook-{item.delivery_id}")
            self._attempts.add(task)
            task.add_done_callback(self._attempts.discard)

    async def _run(self) -> None:
        while True:
            try:
                claimed = await self.claim()
            except asyncio.CancelledError:
                raise
            except Exception:  # the worker's boundary: the database is down; poll again
                log.warning("webhooks.claim_failed", exc_info=True)
                claimed = []
            self.begin(claimed)
            if claimed and len(self._busy) < self.settings.webhook_concurrency:
                continue  # more may be due
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.webhook_poll_seconds)
            self._wake.clear()

    async def claim(self) -> list[Claimed]:
        """Due deliveries this replica now holds, as many as it has free slots (a few per
        subscription). A read-only look first: most polls find nothing and take no lock."""
        free = self.settings.webhook_concurrency - len(self._busy)
        if free <= 0:
            return []
        async with self.sessionmaker() as session:
            await session.connection(execution_options={READ_ONLY: True})
            if not await DeliveryRepository(session).due(now=utcnow(), limit=1):
                return []
        async with self.sessionmaker() as session:
            repository = DeliveryRepository(session)
            now = utcnow()
            due = await repository.due(now=now, limit=free * 4)
            chosen = rules.share(
                due,
                busy=collections.Counter(self._busy.values()),
                per_subscription=self.settings.webhook_per_subscription_concurrency,
                limit=free,
            )
            if not chosen:
                await session.rollback()
                return []
            until = now + timedelta(seconds=self.settings.webhook_lease_seconds)
            await repository.lease(chosen, owner=self.owner, until=until)
            claimed = await repository.claimed(chosen)
            await session.commit()
        return claimed

    async def _attempt(self, item: Claimed) -> None:
        try:
            outcome = await self.post(item)
            ATTEMPTS.labels("delivered" if outcome.delivered else "failed").inc()
            ATTEMPT_SECONDS.observe(outcome.duration_ms / 1000)
            await self.finish(item, outcome)
        except asyncio.CancelledError:
            raise
        except Exception:  # the attempt's boundary: unrecorded, the lease runs out, retried
            log.warning(
                "webhooks.attempt_unrecorded",
                extra={"delivery_id": str(item.delivery_id)},
                exc_info=True,
            )
        finally:
            self._busy.pop(item.delivery_id, None)
            self.wake()

    def _previous(self, item: Claimed) -> list[str]:
        """The secret before the last rotation, while it still signs (unreadable: left out)."""
        if item.previous_sealed_secret is None or not rules.previous_signs(
            item.previous_secret_until, utcnow()
        ):
            return []
        try:
            return [self.box.open(item.subscription_id, item.previous_sealed_secret)]
        except SecretUnreadable:
            return []

    async def post(self, item: Claimed) -> Outcome:
        """One POST of the delivery; what came back (never raises for the receiver's sake)."""
        started_at, started = utcnow(), time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        try:
            secret = self.box.open(item.subscription_id, item.sealed_secret)
        except SecretUnreadable:
            secret, error = "", "signing secret unreadable (GATEWAY_SECRET_KEY changed?)"
        if secret:
            timestamp = int(time.time())  # the receivers' clock, not the demo clock
            message_id = str(item.delivery_id)
            headers = {
                "content-type": rules.CONTENT_TYPE,
                rules.HEADER_ID: message_id,
                rules.HEADER_TIMESTAMP: str(timestamp),
                rules.HEADER_SIGNATURE: rules.signatures(
                    [secret, *self._previous(item)], message_id, timestamp, item.payload
                ),
            }
            try:
                async with asyncio.timeout(self.timeout):
                    async with self.client.stream(
                        "POST", item.url, content=item.payload, headers=headers
                    ) as response:  # the answer's body is never read
                        status_code = response.status_code
            except (TimeoutError, httpx.TimeoutException):
                error = f"timed out after {self.timeout:g} s"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            if status_code is not None and not 200 <= status_code < 300:
                error = f"HTTP {status_code}" + (
                    ": redirects are not followed" if 300 <= status_code < 400 else ""
                )
        duration_ms = round((time.perf_counter() - started) * 1000)
        return Outcome(started_at, duration_ms, status_code, error and error[:300])

    async def finish(self, item: Claimed, outcome: Outcome) -> None:
        """Record the attempt and what follows from it — with the attempts that end meanwhile,
        in one transaction (group commit)."""
        await self._finishes.submit((item, outcome))

    async def _finish_all(
        self, items: Sequence[tuple[Claimed, Outcome]]
    ) -> Sequence[BaseException | None]:
        async with self.sessionmaker() as session:
            for item, outcome in items:
                await self._finish_one(session, item, outcome)
            await session.commit()
        return [None] * len(items)

    async def _finish_one(self, session: AsyncSession, item: Claimed, outcome: Outcome) -> None:
        """While this replica still holds the delivery (nothing when another took it over or
        the subscription was deleted)."""
        deliveries = DeliveryRepository(session)
        delivery = await deliveries.held(item.delivery_id, owner=self.owner)
        if delivery is None:
            return
        now = utcnow()
        number = delivery.attempts + 1
        deliveries.add_attempt(
            WebhookAttempt(
                id=uuid7(),
                delivery_id=delivery.id,
                number=number,
                started_at=outcome.started_at,
                duration_ms=outcome.duration_ms,
                status_code=outcome.status_code,
                error=outcome.error,
            )
        )
        first = delivery.first_attempt_at or outcome.started_at
        delivery.attempts, delivery.first_attempt_at = number, first
        delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
        delivery.lease_owner, delivery.lease_until = None, None
        subscriptions = SubscriptionRepository(session)
        if outcome.delivered:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
            delivery.next_attempt_at = None
            await session.flush()
            await subscriptions.succeeded(item.subscription_id)
            return
        window = timedelta(seconds=self.settings.webhook_retry_window_seconds)
        if rules.gives_up(first, now, window):
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            delay = rules.retry_delay(
                (now - first).total_seconds(),
                base_s=self.settings.webhook_retry_base_seconds,
                cap_s=self.settings.webhook_retry_max_seconds,
                jitter=random.uniform(0.8, 1.2),  # noqa: S311 - spreading, not secrecy
            )
            delivery.next_attempt_at = now + timedelta(seconds=delay)
        await session.flush()
        await self._note_failure(session, subscriptions, item, outcome, now)

    async def _note_failure(
        self,
        session: AsyncSession,
        subscriptions: SubscriptionRepository,
        item: Claimed,
        outcome: Outcome,
        now: datetime,
    ) -> None:
        since = await subscriptions.failing(item.subscription_id, now)
        after = timedelta(seconds=self.settings.webhook_disable_after_seconds)
        if since is None or not rules.disables(since, now, after):
            return
        reason = f"every attempt failed since {since:%Y-%m-%d %H:%M:%S} UTC; last: {outcome.error}"
        await subscriptions.disable(item.subscription_id, now=now, reason=reason)
        DISABLED.inc()
        log.warning(
            "webhooks.subscription_disabled",
            extra={"subscription_id": str(item.subscription_id), "since": since.isoformat()},
        )
