from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from evaluation.db import Base
from junheng_kit.db import UtcDateTime


class SeatPlan(Base):
    """学位计划 (read model): the newest `enrollment.school_seats.changed` of a school, level and
    school year — its planned entry-grade classes, the 班额 cap enrollment planned them with and
    the seats. A late, older version is skipped (the version is per school, level and year)."""

    __tablename__ = "seat_plan"

    school_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(10), primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    grade: Mapped[int] = mapped_column(Integer)
    planned_classes: Mapped[int] = mapped_column(Integer)
    class_cap: Mapped[int] = mapped_column(Integer)
    seats: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    source_event_id: Mapped[str] = mapped_column(String(64))
    event_time: Mapped[datetime] = mapped_column(UtcDateTime)
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime)
