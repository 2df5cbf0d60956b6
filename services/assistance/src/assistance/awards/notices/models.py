"""资格变动 table: `status_notice` — an agency's category change about a student (lost/gained)
with a grace period and an appeal."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from assistance.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.ids import uuid7
from junheng_kit.timeutil import utcnow


class StatusNotice(Base):
    """资格变动通知: an agency no longer confirms (or newly confirms) a student's category."""

    __tablename__ = "status_notice"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    student_id: Mapped[UUID] = mapped_column(ForeignKey("student.id"), index=True)
    award_id: Mapped[UUID | None] = mapped_column(ForeignKey("award.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    category: Mapped[str] = mapped_column(String(30))
    change: Mapped[str] = mapped_column(String(6))  # NoticeChange: lost | gained
    agency: Mapped[str] = mapped_column(String(10))
    detected_on: Mapped[date] = mapped_column(Date)
    grace_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))  # NoticeStatus: open | appealed | resolved
    appeal: Mapped[str | None] = mapped_column(String(1000))
    outcome: Mapped[str | None] = mapped_column(String(16))  # NoticeOutcome
    resolution: Mapped[str | None] = mapped_column(String(1000))
    raised_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
