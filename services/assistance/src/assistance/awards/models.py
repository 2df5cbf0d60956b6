"""Award workflow tables (资助认定与发放).

- `award` — one programme for one student and school year (unique), with the amount and the
  standard it came from; `status` walks proposed|applied → reviewed|rejected → in_publicity →
  approved → paid; `version` is the ETag.
- `award_history` — every transition: who, when, from → to, why (append-only).
- `publicity_batch` — one 公示 of reviewed awards (school or county), start and end dates.
- `objection` — an objection raised during 公示; an open one blocks approval.
- `disbursement` / `disbursement_item` — a payment batch and its amounts per award.
- `status_notice` — an agency's category change about a student (lost/gained) with a grace period
  and an appeal.
- `student_transfer` — 异地 transfers of a student between schools/counties.
- `work_calendar` — official holidays and 调休 make-up working days per year, with the source.
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
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from assistance.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.ids import uuid7
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow

Money = Numeric(12, 2)


AWARD_UNIQUE = FieldError(
    "programme_code", "award_unique", "one award of a programme per student and school year"
)
AWARD_UNIQUE_DETAIL = "该学生本学年已有此项资助"


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
    source: Mapped[str] = mapped_column(String(6))  # school | auto
    evidence: Mapped[list[str]] = mapped_column(JSON)  # assertion ids / list refs (auto)
    status: Mapped[str] = mapped_column(String(14), index=True)
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


class Objection(Base):
    """公示异议: an objection to one award on a 公示 list."""

    __tablename__ = "objection"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    batch_id: Mapped[UUID] = mapped_column(ForeignKey("publicity_batch.id"), index=True)
    award_id: Mapped[UUID] = mapped_column(ForeignKey("award.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(10))  # open | upheld | dismissed
    resolution: Mapped[str | None] = mapped_column(String(1000))
    recorded_by: Mapped[str] = mapped_column(String(100))
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


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


class StatusNotice(Base):
    """资格变动通知: an agency no longer confirms (or newly confirms) a student's category."""

    __tablename__ = "status_notice"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    student_id: Mapped[UUID] = mapped_column(ForeignKey("student.id"), index=True)
    award_id: Mapped[UUID | None] = mapped_column(ForeignKey("award.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    category: Mapped[str] = mapped_column(String(30))
    change: Mapped[str] = mapped_column(String(6))  # lost | gained
    agency: Mapped[str] = mapped_column(String(10))
    detected_on: Mapped[date] = mapped_column(Date)
    grace_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))  # open | appealed | resolved
    appeal: Mapped[str | None] = mapped_column(String(1000))
    outcome: Mapped[str | None] = mapped_column(String(16))  # appeal_upheld | appeal_rejected
    resolution: Mapped[str | None] = mapped_column(String(1000))
    raised_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


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


class WorkCalendar(Base):
    """工作日历: a year's official holidays and 调休 make-up working days (国务院办公厅通知)."""

    __tablename__ = "work_calendar"
    __table_args__ = (
        # two PUTs creating one year at once: the later one is told, and may send it again
        PrimaryKeyConstraint(
            "year",
            info=on_violation(
                FieldError(
                    "path.year",
                    "calendar_unique",
                    "a concurrent request set this year's calendar; send the PUT again to "
                    "replace it",
                ),
                detail="the year's calendar was set by a concurrent request",
            ),
        ),
    )

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holidays: Mapped[list[str]] = mapped_column(JSON)  # ISO dates off work (weekdays or not)
    working_days: Mapped[list[str]] = mapped_column(JSON)  # ISO weekend dates worked (调休)
    source: Mapped[str] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer, default=1)
    changed_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
