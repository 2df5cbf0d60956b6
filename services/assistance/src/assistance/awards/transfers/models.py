"""异地转学 table: `student_transfer` — transfers of a student between schools/counties."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from assistance.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.ids import uuid7
from junheng_kit.timeutil import utcnow


class StudentTransfer(Base):
    """异地转学: a student moved school (and maybe county); award history stays linked."""

    __tablename__ = "student_transfer"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    student_id: Mapped[UUID] = mapped_column(ForeignKey("student.id"), index=True)
    from_county_code: Mapped[str] = mapped_column(String(6), index=True)
    from_school_code: Mapped[str] = mapped_column(String(10))
    to_county_code: Mapped[str] = mapped_column(String(6), index=True)
    to_school_code: Mapped[str] = mapped_column(String(10))
    transferred_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
