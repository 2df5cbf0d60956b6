from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from gateway.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=2000,
        description="where to POST the events: https (http only with JUNHENG_ENV=dev/test), a "
        "public address",
        examples=["https://apps.example.org/junheng/events"],
    )
    event_types: list[str] = Field(
        max_length=100,
        description="event types to receive (GET /asyncapi.json lists them); each needs the "
        "producer's read scope",
        examples=[["enrollment.admission.confirmed"]],
    )
    description: str | None = Field(None, max_length=500, examples=["家长端录取通知"])


class WebhookRead(BaseModel):
    id: UUID
    url: str
    event_types: list[str]
    jurisdiction: list[str] = Field(
        description="GB/T 2260 prefixes of the events it receives: the token's when subscribed"
    )
    description: str | None
    enabled: bool = Field(description="false once disabled after persistent failure")
    failing_since: datetime | None = Field(
        description="the first failed attempt since the last success"
    )
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, subscription: WebhookSubscription) -> "WebhookRead":
        return cls(
            id=subscription.id,
            url=subscription.url,
            event_types=list(subscription.event_types),
            jurisdiction=list(subscription.jurisdiction),
            description=subscription.description,
            enabled=subscription.enabled,
            failing_since=subscription.failing_since,
            disabled_at=subscription.disabled_at,
            disabled_reason=subscription.disabled_reason,
            created_at=subscription.created_at,
        )


class WebhookCreated(WebhookRead):
    secret: str = Field(
        description="whsec_ + base64 of 32 random bytes: verifies `webhook-signature` (Standard "
        "Webhooks). Shown only in this answer.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class WebhookSecretRotated(BaseModel):
    id: UUID
    secret: str = Field(
        description="the new signing secret (whsec_ + base64 of 32 random bytes). Shown only "
        "in this answer.",
        examples=["whsec_7Zl2Qm0u5m1vQ4bW8b0yG2a5y1Xg3c9TtS4sRk8Jm2E="],
    )
    previous_valid_until: datetime = Field(
        description="until then every delivery carries two signatures in `webhook-signature`: "
        "the new secret's first, then the previous one's — switch the receiver over before it"
    )


class WebhookPage(BaseModel):
    items: list[WebhookRead]
    next_cursor: str | None


class AttemptRead(BaseModel):
    number: int
    started_at: datetime
    duration_ms: int
    status_code: int | None = Field(description="the receiver's answer; null: none came")
    error: str | None = Field(examples=["HTTP 503", "timed out after 5 s"])

    @classmethod
    def of(cls, attempt: WebhookAttempt) -> "AttemptRead":
        return cls(
            number=attempt.number,
            started_at=attempt.started_at,
            duration_ms=attempt.duration_ms,
            status_code=attempt.status_code,
            error=attempt.error,
        )


DeliveryStatusName = Literal["pending", "delivered", "failed", "parked"]


class DeliveryRead(BaseModel):
    id: UUID = Field(description="the `webhook-id` header: the same on every attempt")
    event_id: str
    event_type: str
    status: DeliveryStatusName = Field(
        description="pending: waiting for its next attempt; delivered: a 2xx came; failed: "
        "retried for the whole window (redeliver it); parked: its subscription is disabled"
    )
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    attempt_log: list[AttemptRead] = Field(description="every attempt, oldest first")

    @classmethod
    def of(cls, delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> "DeliveryRead":
        return cls(
            id=delivery.id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            status=delivery.status.value,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            delivered_at=delivery.delivered_at,
            created_at=delivery.created_at,
            attempt_log=[AttemptRead.of(a) for a in attempts],
        )


class DeliveryPage(BaseModel):
    items: list[DeliveryRead] = Field(description="newest first")
    next_cursor: str | None
