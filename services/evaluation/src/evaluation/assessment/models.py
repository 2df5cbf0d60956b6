from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from evaluation.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.ids import uuid7
from junheng_kit.timeutil import utcnow


class Assessment(Base):
    """一次评估: the inputs and the computed result, kept as answered (never recomputed)."""

    __tablename__ = "assessment"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer)
    catalogue_version: Mapped[str] = mapped_column(String(100))
    inputs_sha256: Mapped[str] = mapped_column(String(64), index=True)
    resource_allocation_passed: Mapped[bool] = mapped_column(Boolean)
    inputs: Mapped[str] = mapped_column(Text)  # the canonical JSON that inputs_sha256 hashes
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    # the few figures trends and roll-ups read (trends/rules.summarise), so they never parse result
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    # where the numbers came from (request, or stored upload + staffing events); NULL before e0005
    sources: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    requested_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
