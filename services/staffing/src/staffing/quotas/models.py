"""编制 tables: enrolment as the bureau enters it, and the append-only quota ledger."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Integer, PrimaryKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from junheng_kit.db import UtcDateTime
from junheng_kit.i18n import t
from junheng_kit.ids import uuid7
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow
from staffing.db import Base


class SchoolEnrolment(Base):
    """在校生: one school's pupils (and optionally classes) per level for a school year, as the
    bureau entered them; the basis of the quota. `area` null = from the registry's rurality."""

    __tablename__ = "school_enrolment"
    __table_args__ = (
        # two PUTs entering one school's year at once: the later one is told, and may resend it
        PrimaryKeyConstraint(
            "school_code",
            "year",
            info=on_violation(
                FieldError(
                    "schools",
                    "enrolment_unique",
                    t(
                        "另一个请求同时录入了这些学校本年度的学生数；请再次发送 PUT 以替换",
                        "a concurrent request entered these schools' pupils for the year; send the "
                        "PUT again to replace them",
                    ),
                ),
                detail=t(
                    "学生数已被另一个请求同时录入",
                    "the enrolment was entered by a concurrent request",
                ),
            ),
        ),
    )

    school_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    area: Mapped[str | None] = mapped_column(String(12))
    primary_pupils: Mapped[int] = mapped_column(Integer, default=0)
    junior_pupils: Mapped[int] = mapped_column(Integer, default=0)
    senior_pupils: Mapped[int] = mapped_column(Integer, default=0)
    primary_classes: Mapped[int | None] = mapped_column(Integer)
    junior_classes: Mapped[int | None] = mapped_column(Integer)
    senior_classes: Mapped[int | None] = mapped_column(Integer)
    boarding_pupils: Mapped[int] = mapped_column(Integer, default=0)
    special_education_pupils: Mapped[int] = mapped_column(Integer, default=0)
    entered_by: Mapped[str] = mapped_column(String(100))
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class QuotaLedgerEntry(Base):
    """编制台账: one change of a school's approved posts — who, when, why. Rows are only added;
    the school's approved posts for a year are those of its newest entry for that year or before.
    """

    __tablename__ = "quota_ledger_entry"
    __table_args__ = (
        # two decisions for one school at once number the same entry: the later one is told
        UniqueConstraint(
            "school_code",
            "sequence",
            info=on_violation(
                FieldError(
                    "entries",
                    "ledger_sequence_unique",
                    t(
                        "同时记录了该校的另一项编制决定；请查看台账后再次发送以追加",
                        "a concurrent decision for a school of this one was recorded; review "
                        "the ledger and send it again to append it",
                    ),
                ),
                detail=t(
                    "同一学校的另一项编制决定已同时记录",
                    "a concurrent quota decision was recorded for the same school",
                ),
            ),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    school_code: Mapped[str] = mapped_column(String(10))
    sequence: Mapped[int] = mapped_column(Integer)  # per school: 1, 2, …; a race fails here
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # approval | adjustment | pooling
    change: Mapped[int] = mapped_column(Integer)
    approved_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    reference: Mapped[str | None] = mapped_column(String(100))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
