"""The kit's tables, in every service database (each service's first migration creates them).

- outbox_message: events written in the use-case's transaction, published by the relay.
- processed_message: the inbox; one row per (consumer, event id) makes handlers idempotent.
- idempotency_record: each Idempotency-Key per client: claimed (`pending`, with its owner and
  lease) while its request runs, then its answer (`done`) — see junheng_kit.idempotency. The
  answer's body is sealed (`fieldcrypt.SealedIfKeyed`) in a service with field keys: a stored
  answer may hold the personal data its request wrote.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import JSON, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from junheng_kit.db import KitBase, UtcDateTime
from junheng_kit.fieldcrypt import SealedIfKeyed
from junheng_kit.ids import uuid7
from junheng_kit.timeutil import utcnow


class OutboxMessage(KitBase):
    __tablename__ = "outbox_message"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    subject: Mapped[str] = mapped_column(String(200))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class ProcessedMessage(KitBase):
    __tablename__ = "processed_message"
    __table_args__ = (UniqueConstraint("consumer", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consumer: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class IdempotencyRecord(KitBase):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("client_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10), default="done")
    owner: Mapped[str | None] = mapped_column(String(36))
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict[str, str]] = mapped_column(JSON)
    # the stored answer: sealed in a service that encrypts personal data (it may hold some)
    body: Mapped[bytes] = mapped_column(SealedIfKeyed("kit.idempotency_record.body"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
