"""Award tables (资助认定): the award and its history.

- `award` — one programme for one student and school year (unique), with the amount and the
  standard it came from; `status` walks proposed|applied → reviewed|rejected → in_publicity →
  approved → paid; `version` is the ETag. `priority`: the pupil is served first under the
  programme (an agency lists them in one of its `priority_categories`), set by each 应助尽助 job.
- `award_history` — every transition: who, when, from → to, why (append-only).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from assistance.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.i18n import t
from junheng_kit.ids import uuid7
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow

Money = Numeric(12, 2)


AWARD_UNIQUE = FieldError(
    "programme_code",
    "award_unique",
    t(
        "每名学生每学年每个资助项目只有一项资助",
        "one award of a programme per student and school year",
    ),
)
AWARD_UNIQUE_DETAIL = t(
    "该学生本学年已有此项资助", "this student already has this award for the school year"
)


class Award(Base):
    """资助: one programme awarded (or proposed) to one student for one school year."""

    __tablename__ = "award"
    __table_args__ = (
        # awarded by a concurrent request after this one's check: the check's answer
        UniqueConstraint(
            "student_id",
            "programme_code",
            "school_year",
            info=on_violation(AWARD_UNIQUE, detail=AWARD_UNIQUE_DETAIL),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    student_id: Mapped[UUID] = mapped_column(ForeignKey("student.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    school_code: Mapped[str] = mapped_column(String(10), index=True)
    programme_code: Mapped[str] = mapped_column(String(40))
    school_year: Mapped[int] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(30))
    tier: Mapped[str | None] = mapped_column(String(30))
    level: Mapped[str] = mapped_column(String(7))  # primary | junior, at the time of the award
    boarding: Mapped[bool] = mapped_column(Boolean)
    amount_yuan: Mapped[Decimal] = mapped_column(Money)
    paid_yuan: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    standard_id: Mapped[UUID] = mapped_column(ForeignKey("programme_standard.id"))
    source: Mapped[str] = mapped_column(String(6))  # AwardSource: school | auto
    evidence: Mapped[list[str]] = mapped_column(JSON)  # assertion ids / list refs (auto)
    # served first (programme's priority_categories), as the latest 应助尽助 job found it
    priority: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(14), index=True)  # AwardStatus
    publicity_batch_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("publicity_batch.id"), index=True
    )
    review: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # panel, reviewer, reasons
    approved_on: Mapped[date | None] = mapped_column(Date)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class AwardHistory(Base):
    """资助流转记录: one transition of an award."""

    __tablename__ = "award_history"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    award_id: Mapped[UUID] = mapped_column(ForeignKey("award.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(14))
    to_status: Mapped[str] = mapped_column(String(14))
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
