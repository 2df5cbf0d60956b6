"""Use-cases of the webhook API: subscribe, list, read, delete, enable, read the delivery log,
redeliver. Callers commit."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.repository import ClientRepository
from gateway.settings import GatewaySettings
from gateway.webhooks import addresses, rules
from gateway.webhooks.catalogue import EVENTS
from gateway.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from gateway.webhooks.repository import DeliveryRepository, SubscriptionRepository
from gateway.webhooks.schemas import DeliveryRead, WebhookCreate
from gateway.webhooks.sealing import SecretBox
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.ids import uuid7
from junheng_kit.problems import Conflict, FieldError, Forbidden
from junheng_kit.timeutil import utcnow


@dataclass(frozen=True, slots=True)
class Subscribed:
    subscription: WebhookSubscription
    secret: str  # shown once


async def subscribe(
    session: AsyncSession,
    principal: Principal,
    *,
    request: WebhookCreate,
    settings: GatewaySettings,
    box: SecretBox,
) -> Subscribed:
    """A subscription of the client to event types of its token's jurisdiction, with a new
    signing secret (returned once, stored sealed)."""
    target = rules.parse_url(request.url, environment=settings.environment)
    event_types = rules.check_event_types(
        request.event_types, known=EVENTS, scopes=principal.scopes
    )
    await addresses.check_target(
        target, settings.webhook_allowed_networks, timeout=settings.webhook_timeout_seconds
    )
    client = await ClientRepository(session).find(principal.client_id)
    if client is None or client.disabled:
        raise Forbidden(
            t("此客户端未注册或已停用", "this client is not registered or is disabled"),
            FieldError("authorization", "client_active", principal.client_id),
        )
    secret = rules.new_secret(secrets.token_bytes(rules.SECRET_BYTES))
    subscription_id = uuid7()
    subscription = WebhookSubscription(
        id=subscription_id,
        client_id=principal.client_id,
        url=request.url,
        event_types=event_types,
        jurisdiction=list(principal.jurisdiction.prefixes),
        description=request.description,
        sealed_secret=box.seal(subscription_id, secret),
        enabled=True,
        created_at=utcnow(),
    )
    SubscriptionRepository(session).add(subscription)
    await session.flush()
    return Subscribed(subscription, secret)


async def subscriptions(
    session: AsyncSession, principal: Principal, *, after: UUID | None, limit: int
) -> list[WebhookSubscription]:
    return await SubscriptionRepository(session).page(
        client_id=principal.client_id, after=after, limit=limit
    )


async def subscription(
    session: AsyncSession, principal: Principal, *, subscription_id: UUID
) -> WebhookSubscription:
    return await SubscriptionRepository(session).get(subscription_id, client_id=principal.client_id)


@dataclass(frozen=True, slots=True)
class Rotated:
    subscription: WebhookSubscription
    secret: str  # shown once
    previous_valid_until: datetime


async def rotate_secret(
    session: AsyncSession,
    principal: Principal,
    *,
    subscription_id: UUID,
    box: SecretBox,
    overlap: timedelta,
) -> Rotated:
    """A new signing secret (returned once); the current one becomes the previous and keeps
    signing beside it for `overlap`. Rotating again within the overlap drops the oldest."""
    found = await SubscriptionRepository(session).get(
        subscription_id, client_id=principal.client_id
    )
    secret = rules.new_secret(secrets.token_bytes(rules.SECRET_BYTES))
    until = utcnow() + overlap
    found.previous_sealed_secret = found.sealed_secret
    found.previous_secret_until = until
    found.sealed_secret = box.seal(found.id, secret)
    await session.flush()
    return Rotated(found, secret, until)


async def unsubscribe(
    session: AsyncSession, principal: Principal, *, subscription_id: UUID
) -> None:
    repository = SubscriptionRepository(session)
    found = await repository.get(subscription_id, client_id=principal.client_id)
    await repository.remove(found)
    await session.flush()


async def enable(
    session: AsyncSession, principal: Principal, *, subscription_id: UUID
) -> WebhookSubscription:
    """Enabled again (after it was disabled for persistent failure): its parked deliveries
    are attempted at once."""
    repository = SubscriptionRepository(session)
    found = await repository.get(subscription_id, client_id=principal.client_id)
    if not found.enabled:
        await repository.enable(found, now=utcnow())
        await session.flush()
    return found


async def deliveries(
    session: AsyncSession,
    principal: Principal,
    *,
    subscription_id: UUID,
    before: UUID | None,
    limit: int,
    status: DeliveryStatus | None,
) -> list[DeliveryRead]:
    await SubscriptionRepository(session).get(subscription_id, client_id=principal.client_id)
    repository = DeliveryRepository(session)
    found = await repository.page(
        subscription_id=subscription_id, before=before, limit=limit, status=status
    )
    attempts = await repository.attempts_of([d.id for d in found])
    return [DeliveryRead.of(d, attempts[d.id]) for d in found]


async def redeliver(
    session: AsyncSession, principal: Principal, *, subscription_id: UUID, delivery_id: UUID
) -> DeliveryRead:
    """The delivery again, at once, with a new retry window, whatever became of it (a
    delivered one too: the receiver lost it). The `webhook-id` stays the same."""
    subscription = await SubscriptionRepository(session).get(
        subscription_id, client_id=principal.client_id
    )
    if not subscription.enabled:
        raise Conflict(
            t("订阅已停用，请先启用", "the subscription is disabled: enable it first"),
            FieldError(
                "webhook_id",
                "webhook_enabled",
                t(
                    f"请先调用 POST /v1/webhooks/{subscription_id}/enable",
                    f"POST /v1/webhooks/{subscription_id}/enable",
                ),
            ),
        )
    repository = DeliveryRepository(session)
    delivery: WebhookDelivery = await repository.get(delivery_id, subscription_id=subscription_id)
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = utcnow()
    delivery.first_attempt_at = None
    delivery.delivered_at = None
    await session.flush()
    attempts = await repository.attempts_of([delivery.id])
    return DeliveryRead.of(delivery, attempts[delivery.id])
