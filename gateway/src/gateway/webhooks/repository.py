"""Every query of webhooks: subscriptions (a client's own only), deliveries and attempts."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Table, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.models import Client
from gateway.webhooks import rules
from gateway.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from junheng_kit.db import insert_ignoring_conflicts
from junheng_kit.i18n import t
from junheng_kit.ids import uuid7
from junheng_kit.problems import NotFound
from junheng_kit.timeutil import utcnow

DELIVERIES = cast(Table, WebhookDelivery.__table__)


def _postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@dataclass(frozen=True, slots=True)
class Receiving:
    """An enabled subscription as the fan-out sees it."""

    subscription_id: UUID
    subscriber: rules.Subscriber
    url: str
    sealed_secret: bytes
    previous_sealed_secret: bytes | None = None
    previous_secret_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Lease:
    """Deliveries recorded held by `owner` until `until`, for these subscriptions."""

    owner: str
    until: datetime
    subscriptions: frozenset[UUID]


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery a replica holds for one attempt, with what the POST needs."""

    delivery_id: UUID
    subscription_id: UUID
    url: str
    sealed_secret: bytes
    payload: bytes
    # the secret before the last rotation, while it still signs (else None)
    previous_sealed_secret: bytes | None = None
    previous_secret_until: datetime | None = None


@dataclass
class SubscriptionRepository:
    session: AsyncSession

    def add(self, subscription: WebhookSubscription) -> None:
        self.session.add(subscription)

    async def get(self, subscription_id: UUID, *, client_id: str) -> WebhookSubscription:
        found = await self.session.scalar(
            select(WebhookSubscription).where(
                WebhookSubscription.id == subscription_id,
                WebhookSubscription.client_id == client_id,
            )
        )
        if found is None:  # another client's is "not found" too
            raise NotFound(
                t(f"未找到订阅 {subscription_id}", f"webhook {subscription_id} not found")
            )
        return found

    async def page(
        self, *, client_id: str, after: UUID | None, limit: int
    ) -> list[WebhookSubscription]:
        query = select(WebhookSubscription).where(WebhookSubscription.client_id == client_id)
        if after is not None:
            query = query.where(WebhookSubscription.id > after)
        query = query.order_by(WebhookSubscription.id).limit(limit)
        return list(await self.session.scalars(query))

    async def remove(self, subscription: WebhookSubscription) -> None:
        """The subscription with its deliveries and their attempts (in flight: the attempt's
        outcome then finds nothing to record)."""
        deliveries = select(WebhookDelivery.id).where(
            WebhookDelivery.subscription_id == subscription.id
        )
        await self.session.execute(
            delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries))
        )
        await self.session.execute(
            delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
        )
        await self.session.delete(subscription)

    async def subscribers(self) -> list[Receiving]:
        """Every enabled subscription of an active client, with what decides what it gets and
        where it goes."""
        rows = await self.session.execute(
            select(
                WebhookSubscription.id,
                WebhookSubscription.event_types,
                WebhookSubscription.jurisdiction,
                Client.scopes,
                Client.jurisdiction,
                WebhookSubscription.url,
                WebhookSubscription.sealed_secret,
                WebhookSubscription.previous_sealed_secret,
                WebhookSubscription.previous_secret_until,
            )
            .join(Client, Client.client_id == WebhookSubscription.client_id)
            .where(WebhookSubscription.enabled.is_(True), Client.disabled.is_(False))
        )
        return [
            Receiving(
                row[0],
                rules.Subscriber(
                    event_types=frozenset(row[1]),
                    jurisdiction=tuple(row[2]),
                    client_scopes=frozenset(row[3]),
                    client_jurisdiction=tuple(row[4]),
                ),
                *row[5:],
            )
            for row in rows
        ]

    async def failing(self, subscription_id: UUID, now: datetime) -> datetime | None:
        """Note a failed attempt: the subscription fails since its first failure after the
        last success. Returns since when (None: the subscription is gone)."""
        await self.session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == subscription_id)
            .values(failing_since=func.coalesce(WebhookSubscription.failing_since, now))
        )
        since: datetime | None = await self.session.scalar(
            select(WebhookSubscription.failing_since).where(
                WebhookSubscription.id == subscription_id
            )
        )
        return since

    async def succeeded(self, subscription_id: UUID) -> None:
        await self.session.execute(
            update(WebhookSubscription)
            .where(
                WebhookSubscription.id == subscription_id,
                WebhookSubscription.failing_since.is_not(None),
            )
            .values(failing_since=None)
        )

    async def disable(self, subscription_id: UUID, *, now: datetime, reason: str) -> None:
        """Disabled (once: the first replica to decide says why), its pending deliveries
        parked."""
        await self.session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == subscription_id, WebhookSubscription.enabled)
            .values(enabled=False, disabled_at=now, disabled_reason=reason[:300])
        )
        await self.session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.subscription_id == subscription_id,
                WebhookDelivery.status == DeliveryStatus.PENDING,
            )
            .values(status=DeliveryStatus.PARKED, lease_until=None, lease_owner=None)
        )

    async def enable(self, subscription: WebhookSubscription, *, now: datetime) -> None:
        """Enabled again: its parked deliveries are due at once, with a new retry window."""
        subscription.enabled = True
        subscription.disabled_at = None
        subscription.disabled_reason = None
        subscription.failing_since = None
        await self.session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.subscription_id == subscription.id,
                WebhookDelivery.status == DeliveryStatus.PARKED,
            )
            .values(status=DeliveryStatus.PENDING, next_attempt_at=now, first_attempt_at=None)
        )


@dataclass
class DeliveryRepository:
    session: AsyncSession

    async def record(
        self,
        published: rules.Published,
        payload: bytes,
        to: Sequence[Receiving],
        *,
        lease: Lease | None = None,
    ) -> list[Claimed]:
        """A pending delivery of the event per subscription, due now; one already recorded
        (the same event again) is left as it is. Deliveries of the subscriptions `lease` names
        are recorded held by its owner (the recording replica attempts them at once, without a
        claim of its own); they are returned as claimed if they are new."""
        if not to:
            return []
        now = utcnow()
        held = lease.subscriptions if lease is not None else frozenset()
        rows: list[dict[str, Any]] = []
        for receiving in to:
            is_held = lease is not None and receiving.subscription_id in held
            rows.append(
                {
                    "id": uuid7(),
                    "subscription_id": receiving.subscription_id,
                    "event_id": published.id,
                    "event_type": published.type,
                    "payload": payload,
                    "status": DeliveryStatus.PENDING.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "lease_owner": lease.owner if is_held and lease else None,
                    "lease_until": lease.until if is_held and lease else None,
                }
            )
        insert = insert_ignoring_conflicts(self.session, DELIVERIES, "subscription_id", "event_id")
        inserted = await self.session.execute(
            insert.values(rows).returning(DELIVERIES.c.id, DELIVERIES.c.lease_owner)
        )
        mine = {row[0] for row in inserted if lease is not None and row[1] == lease.owner}
        by_subscription = {r.subscription_id: r for r in to}
        return [
            Claimed(
                row["id"],
                row["subscription_id"],
                receiving.url,
                receiving.sealed_secret,
                payload,
                receiving.previous_sealed_secret,
                receiving.previous_secret_until,
            )
            for row in rows
            if row["id"] in mine
            for receiving in (by_subscription[row["subscription_id"]],)
        ]

    async def get(self, delivery_id: UUID, *, subscription_id: UUID) -> WebhookDelivery:
        found = await self.session.scalar(
            select(WebhookDelivery).where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.subscription_id == subscription_id,
            )
        )
        if found is None:
            raise NotFound(t(f"未找到投递记录 {delivery_id}", f"delivery {delivery_id} not found"))
        return found

    async def page(
        self,
        *,
        subscription_id: UUID,
        before: UUID | None,
        limit: int,
        status: DeliveryStatus | None,
    ) -> list[WebhookDelivery]:
        query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
        if before is not None:
            query = query.where(WebhookDelivery.id < before)
        if status is not None:
            query = query.where(WebhookDelivery.status == status)
        query = query.order_by(WebhookDelivery.id.desc()).limit(limit)
        return list(await self.session.scalars(query))

    async def attempts_of(self, delivery_ids: Sequence[UUID]) -> dict[UUID, list[WebhookAttempt]]:
        found: dict[UUID, list[WebhookAttempt]] = {d: [] for d in delivery_ids}
        if not delivery_ids:
            return found
        rows = await self.session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)
        )
        for attempt in rows:
            found[attempt.delivery_id].append(attempt)
        return found

    async def due(self, *, now: datetime, limit: int) -> list[tuple[UUID, UUID]]:
        """(delivery, subscription) of pending deliveries due and held by nobody, of enabled
        subscriptions of active clients, the longest waiting first. On PostgreSQL the rows are
        locked and rows another replica is claiming are skipped (`FOR UPDATE SKIP LOCKED`); on
        SQLite the claim's write transaction holds the database's one write lock."""
        query = (
            select(WebhookDelivery.id, WebhookDelivery.subscription_id)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .join(Client, Client.client_id == WebhookSubscription.client_id)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
                or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
                WebhookSubscription.enabled.is_(True),
                Client.disabled.is_(False),  # a disabled client receives nothing more
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        )
        if _postgresql(self.session):
            query = query.with_for_update(of=WebhookDelivery, skip_locked=True)
        return [(row[0], row[1]) for row in await self.session.execute(query)]

    async def lease(self, delivery_ids: Sequence[UUID], *, owner: str, until: datetime) -> None:
        await self.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(delivery_ids))
            .values(lease_owner=owner, lease_until=until)
        )

    async def claimed(self, delivery_ids: Sequence[UUID]) -> list[Claimed]:
        rows = await self.session.execute(
            select(
                WebhookDelivery.id,
                WebhookDelivery.subscription_id,
                WebhookSubscription.url,
                WebhookSubscription.sealed_secret,
                WebhookDelivery.payload,
                WebhookSubscription.previous_sealed_secret,
                WebhookSubscription.previous_secret_until,
            )
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(WebhookDelivery.id.in_(delivery_ids))
            .order_by(WebhookDelivery.next_attempt_at)
        )
        return [Claimed(*row) for row in rows]

    async def held(self, delivery_id: UUID, *, owner: str) -> WebhookDelivery | None:
        """The delivery while this replica still holds it (None: its lease was taken over, or
        the subscription was deleted meanwhile)."""
        query = select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.lease_owner == owner
        )
        if _postgresql(self.session):
            query = query.with_for_update()
        return cast(WebhookDelivery | None, await self.session.scalar(query))

    def add_attempt(self, attempt: WebhookAttempt) -> None:
        self.session.add(attempt)
