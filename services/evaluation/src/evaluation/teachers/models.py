from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evaluation.db import Base
from junheng_kit.db import UtcDateTime


class SchoolTeacherStats(Base):
    """学校师资统计 (read model): the newest `staffing.school_teacher_stats.changed` of a school.

    The event carries the school's full counts, so a newer one replaces every section; the
    version stays here even when a school has no section left, so a late, older event is skipped.
    """

    __tablename__ = "teacher_stats_school"

    school_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    source_event_id: Mapped[str] = mapped_column(String(64))
    event_time: Mapped[datetime] = mapped_column(UtcDateTime)
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # the training requirement the sections' training counts used (教师5年360学时); null: the
    # event carried none (no requirement in force, or published before staffing counted them)
    training_required_hours: Mapped[int | None] = mapped_column(Integer, default=None)
    training_window_years: Mapped[int | None] = mapped_column(Integer, default=None)
    training_window_from: Mapped[date | None] = mapped_column(Date, default=None)
    training_source: Mapped[str | None] = mapped_column(String(1000), default=None)
    sections: Mapped[list["SectionTeacherStats"]] = relationship(
        back_populates="school",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="SectionTeacherStats.level",
    )


class SectionTeacherStats(Base):
    """One school section's counts behind indicators 1–3 (domain.md §5.2) and 教师5年360学时
    (政府保障程度第9项; null when staffing sent none), as staffing sent them."""

    __tablename__ = "teacher_stats_section"

    school_code: Mapped[str] = mapped_column(
        ForeignKey("teacher_stats_school.school_code", ondelete="CASCADE"), primary_key=True
    )
    level: Mapped[str] = mapped_column(String(10), primary_key=True)
    full_time_teachers: Mapped[int] = mapped_column(Integer)
    teachers_above_required_degree: Mapped[int] = mapped_column(Integer)
    backbone_teachers: Mapped[int] = mapped_column(Integer)
    pe_arts_teachers: Mapped[int] = mapped_column(Integer)
    teachers_counted_for_training: Mapped[int | None] = mapped_column(Integer, default=None)
    teachers_meeting_training_hours: Mapped[int | None] = mapped_column(Integer, default=None)
    school: Mapped[SchoolTeacherStats] = relationship(back_populates="sections", lazy="raise")
