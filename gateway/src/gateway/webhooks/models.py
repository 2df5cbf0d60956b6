from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.ids import uuid7
from junheng_kit.timeutil import utcnow


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (or being attempted: leased)
    DELIVERED = "delivered"  # a 2xx answer
    FAILED = "failed"  # retried for the whole window without success: redeliver by hand
    PARKED = "parked"  # its subscription was disabled; pending again once it is enabled


class WebhookSubscription(Base):
    """A client's HTTPS endpoint for event types of its jurisdiction (POST /v1/webhooks)."""

    __tablename__ = "webhook_subscription"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    client_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("client.client_id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    jurisdiction: Mapped[list[str]] = mapped_column(JSON)  # the token's, at subscription
    description: Mapped[str | None] = mapped_column(String(500))
    # the signing secret, sealed with a key derived from GATEWAY_SECRET_KEY (webhooks/sealing.py)
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary)
    # after a rotation the previous secret signs too (a second signature) until this instant,
    # so receivers can switch over without losing a delivery (POST …/secret)
    previous_sealed_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_secret_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # first failed attempt since the last success; 24 h of failures disable the subscription
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event for one subscription: its body as published, where it stands, its attempts.
    The id is the `webhook-id` header, the same on every attempt."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        # a NATS message delivered twice (a replica died before its ack) records nothing twice
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_webhook_delivery_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    subscription_id: Mapped[UUID] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE")
    )
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # the CloudEvent, byte for byte
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(
            DeliveryStatus,
            native_enum=False,
            create_constraint=False,
            length=10,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=DeliveryStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # of this window
    # a replica attempting it holds it until then (a replica that died lets it go)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(36))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WebhookAttempt(Base):
    """One POST of a delivery: when, the answer's status code or the error, how long."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (UniqueConstraint("delivery_id", "number"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    delivery_id: Mapped[UUID] = mapped_column(ForeignKey("webhook_delivery.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))


class WebhookStreamFilter(Base):
    """The event types a producer stream's fan-out durable is filtered on, as last set
    (`gateway.webhooks.interest`); its row is the lock that changes to the filter take turns
    on."""

    __tablename__ = "webhook_stream_filter"

    stream: Mapped[str] = mapped_column(String(32), primary_key=True)
    types: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    locked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
