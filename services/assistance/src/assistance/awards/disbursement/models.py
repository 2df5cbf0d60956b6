"""资金发放 tables: `disbursement` / `disbursement_item` — a payment batch and its amounts per
award."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistance.awards.awards.models import Money
from assistance.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.ids import uuid7
from junheng_kit.timeutil import utcnow


class Disbursement(Base):
    """资金发放批次: one payment run (date, channel)."""

    __tablename__ = "disbursement"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    paid_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(24))
    reference: Mapped[str | None] = mapped_column(String(100))
    total_yuan: Mapped[Decimal] = mapped_column(Money)
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DisbursementItem(Base):
    """One award's amount in a disbursement batch."""

    __tablename__ = "disbursement_item"
    __table_args__ = (UniqueConstraint("disbursement_id", "award_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    disbursement_id: Mapped[UUID] = mapped_column(ForeignKey("disbursement.id"), index=True)
    award_id: Mapped[UUID] = mapped_column(ForeignKey("award.id"), index=True)
    amount_yuan: Mapped[Decimal] = mapped_column(Money)
