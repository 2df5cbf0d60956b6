"""教师培训记录 tables (migration s0009).

- `teacher_training_record` — one completed training of a teacher: `teacher_id` (the registry
  id), `programme` (培训项目), `provider` (培训机构, null = not recorded), `started_on` (null = a
  completion date only), `completed_on` (the day the hours are credited), `hours` (学时, one
  decimal place), `certificate_reference` (证书编号 as written, null = none), who recorded it and
  when, and the import that brought it (null: the API). (`teacher_id`, `programme`,
  `completed_on`) is unique: the same training is recorded once, and an import updates it.
- `teacher_training_import` — one accepted training sheet: its SHA-256 and what it changed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from junheng_kit.db import UtcDateTime
from junheng_kit.i18n import t
from junheng_kit.ids import uuid7
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow
from staffing.db import Base

RECORD_UNIQUE = FieldError(
    "programme",
    "training_record_unique",
    t(
        "该教师同一培训项目同一完成日期已有记录",
        "the teacher already has this programme completed on that day",
    ),
)


class TrainingRecord(Base):
    """教师培训记录: hours of one completed training, credited on `completed_on`."""

    __tablename__ = "teacher_training_record"
    __table_args__ = (
        # recorded by a concurrent request after this one's check
        UniqueConstraint(
            "teacher_id",
            "programme",
            "completed_on",
            info=on_violation(
                RECORD_UNIQUE, detail=t("该培训已登记", "this training is already recorded")
            ),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    teacher_id: Mapped[UUID] = mapped_column(ForeignKey("teacher.id"), index=True)
    programme: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str | None] = mapped_column(String(200))
    started_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date] = mapped_column(Date, index=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    certificate_reference: Mapped[str | None] = mapped_column(String(100))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    import_id: Mapped[UUID | None] = mapped_column(ForeignKey("teacher_training_import.id"))


class TrainingImport(Base):
    """One accepted training sheet: its SHA-256 and what it changed."""

    __tablename__ = "teacher_training_import"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(100))
    rows: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
