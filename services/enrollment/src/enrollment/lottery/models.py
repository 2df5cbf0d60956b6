from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, ForeignKey, Integer, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from enrollment.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.ids import uuid7
from junheng_kit.timeutil import utcnow


class AssignmentRun(Base):
    """电脑派位: one run over an explicit instance, its canonical input and its stored answer."""

    __tablename__ = "assignment_run"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    seed: Mapped[str] = mapped_column(String(200))
    mechanism: Mapped[str] = mapped_column(String(30))
    tie_breaking: Mapped[str] = mapped_column(String(10))
    input_sha256: Mapped[str] = mapped_column(String(64), index=True)
    instance: Mapped[str] = mapped_column(Text)  # the canonical JSON that was hashed
    result: Mapped[str] = mapped_column(Text)  # the answer, serialised once with sorted keys
    province_codes: Mapped[list[str]] = mapped_column(JSON)  # school_code[2:4] of every school
    # instance: posted as is; applications: built from a county's verified applications
    source: Mapped[str] = mapped_column(String(20), default="instance")
    county_code: Mapped[str | None] = mapped_column(String(6))
    year: Mapped[int | None] = mapped_column(Integer)
    level: Mapped[str | None] = mapped_column(String(10))
    policy_id: Mapped[UUID | None] = mapped_column()
    policy_version: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AssignmentOutcome(Base):
    """派位结果 of one family in a run over stored applications: the school it got, its tier and
    lottery number there, and why each school ranked above was not given (cutoffs included) —
    so a family's explanation reads one row, not the whole run's answer."""

    __tablename__ = "assignment_outcome"

    __table_args__ = (
        # application first: the key also serves a family's lookup (no second index to write
        # 200,000 times with the run)
        PrimaryKeyConstraint("application_id", "run_id"),
    )

    application_id: Mapped[str] = mapped_column(String(100))
    run_id: Mapped[UUID] = mapped_column(ForeignKey("assignment_run.id", ondelete="CASCADE"))
    school_code: Mapped[str | None] = mapped_column(String(10))
    tier: Mapped[int | None] = mapped_column(Integer)
    lottery: Mapped[str | None] = mapped_column(String(64))
    # rules.Explanation per school ranked above, as the run answer's `explanations` shows them
    explanations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
