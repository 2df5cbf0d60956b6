"""公示 table: `publicity_batch` — one 公示 of reviewed awards (school or county), start and end
dates."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from assistance.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.ids import uuid7
from junheng_kit.timeutil import utcnow


class PublicityBatch(Base):
    """公示: a list of reviewed awards shown for at least the minimum working days."""

    __tablename__ = "publicity_batch"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    school_code: Mapped[str | None] = mapped_column(String(10))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    working_days: Mapped[int] = mapped_column(Integer)
    calendar_note: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
