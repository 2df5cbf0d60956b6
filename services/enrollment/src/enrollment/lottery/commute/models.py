"""A county's travel model for estimating 统筹 trips (append-only, effective-dated)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from enrollment.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.timeutil import utcnow


class CommuteModel(Base):
    """通学时间测算参数: how a county estimates a pupil's trip — the mode (walking | school_bus),
    its speed and the road's detour factor over the straight line — as the county set them from
    its own document or survey. No source gives a value, so there is none until a county sets
    one; the row in force on a date is the latest `effective_from`, then the latest set."""

    __tablename__ = "commute_model"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    mode: Mapped[str] = mapped_column(String(10))  # walking | school_bus
    speed_kmh: Mapped[str] = mapped_column(String(8))  # a Decimal, exactly as given
    detour_factor: Mapped[str] = mapped_column(String(8))  # a Decimal ≥ 1, exactly as given
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)  # exclusive
    source: Mapped[str] = mapped_column(String(500))
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
