"""County-set policy parameters: the rows a county adds to the built-in policy book."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from junheng_kit.db import UtcDateTime
from junheng_kit.timeutil import utcnow
from staffing.db import Base


class PolicyParameter(Base):
    """政策参数: one effective-dated value a county set for its own scope (append-only)."""

    __tablename__ = "policy_parameter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope_code: Mapped[str] = mapped_column(String(6), index=True)
    key: Mapped[str] = mapped_column(String(60))
    qualifier: Mapped[str] = mapped_column(String(60), default="")
    value: Mapped[str] = mapped_column(String(60))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(500))
    evidence: Mapped[str] = mapped_column(String(10))
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
