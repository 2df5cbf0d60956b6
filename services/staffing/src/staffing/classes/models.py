"""Read model of enrollment's seat plans: planned entry-grade classes per school, level and year.

`school_class_plan` (`school_code`, `level`, `year`) → `planned_classes`, `class_cap`, `seats`,
`grade`, `county_code`, `version`, `source_event_id`, `synced_at`; kept from
`enrollment.school_seats.changed` (stale versions skipped). The quota domain's 班师比 uses the
classes of a school: classes.repository.classes_by_school.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from junheng_kit.db import UtcDateTime
from staffing.db import Base


class SchoolClassPlan(Base):
    """学位计划: one school's planned entry classes for a level and school year."""

    __tablename__ = "school_class_plan"

    school_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    level: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    grade: Mapped[int] = mapped_column(Integer)
    planned_classes: Mapped[int] = mapped_column(Integer)
    class_cap: Mapped[int] = mapped_column(Integer)
    seats: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    source_event_id: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime)
