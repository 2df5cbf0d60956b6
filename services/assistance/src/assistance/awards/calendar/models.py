"""工作日历 table: `work_calendar` — official holidays and 调休 make-up working days per year,
with the source."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from assistance.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.i18n import t
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow


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
                    t(
                        "另一个请求同时设置了本年度的工作日历；请再次发送 PUT 以替换",
                        "a concurrent request set this year's calendar; send the PUT again to "
                        "replace it",
                    ),
                ),
                detail=t(
                    "本年度的工作日历已被另一个请求同时设置",
                    "the year's calendar was set by a concurrent request",
                ),
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
