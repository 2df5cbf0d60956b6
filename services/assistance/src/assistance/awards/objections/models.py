"""公示异议 table: `objection` — an objection raised during 公示; an open one blocks approval."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from assistance.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.ids import uuid7
from junheng_kit.timeutil import utcnow


class Objection(Base):
    """公示异议: an objection to one award on a 公示 list."""

    __tablename__ = "objection"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    batch_id: Mapped[UUID] = mapped_column(ForeignKey("publicity_batch.id"), index=True)
    award_id: Mapped[UUID] = mapped_column(ForeignKey("award.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(10))  # ObjectionStatus: open | upheld | dismissed
    resolution: Mapped[str | None] = mapped_column(String(1000))
    recorded_by: Mapped[str] = mapped_column(String(100))
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
