from datetime import datetime
from uuid import UUID

from sqlalchemy import JSON, Integer, String, Text
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
