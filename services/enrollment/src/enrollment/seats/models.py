from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from enrollment.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.i18n import t
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow


class SeatPlan(Base):
    """学位计划: a school's entry-grade classes and seats for one level and school year."""

    __tablename__ = "seat_plan"
    __table_args__ = (
        CheckConstraint("planned_classes >= 0", name="planned_classes_non_negative"),
        CheckConstraint("class_cap >= 1", name="class_cap_positive"),
        CheckConstraint("seats >= 0", name="seats_non_negative"),
        # two PUTs creating the same plan at once: the later one is told, and may send it again
        PrimaryKeyConstraint(
            "school_code",
            "level",
            "year",
            info=on_violation(
                FieldError(
                    "level",
                    "seat_plan_unique",
                    t(
                        "一校一学段一年一个学位计划：另一个请求同时创建了此计划；请再次发送 PUT "
                        "以替换它",
                        "one seat plan per school, level and year: a concurrent request created "
                        "this plan; send the PUT again to replace it",
                    ),
                ),
                detail=t(
                    "学位计划已被另一个请求同时创建",
                    "the seat plan was created by a concurrent request",
                ),
            ),
        ),
    )

    school_code: Mapped[str] = mapped_column(ForeignKey("school.school_code"), primary_key=True)
    level: Mapped[str] = mapped_column(String(10), primary_key=True)  # primary | junior
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    planned_classes: Mapped[int] = mapped_column(Integer)
    class_cap: Mapped[int] = mapped_column(Integer)  # 班额 cap applied (≤ the policy's)
    seats: Mapped[int] = mapped_column(Integer)  # planned_classes × class_cap
    class_sizes: Mapped[list[int]] = mapped_column(JSON)  # current classes, for 大班额 flags
    policy_version: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API


class SeatStandard(Base):
    """学位配置标准: seats per 1,000 resident population (常住人口) for a level, as a region or
    county set it from a date on (seed 000: the region sets it; seed 002: resident population as
    the base; domain.md §2.5: no value given, so none exists until one is stored).

    One row per scope, level and start date; a PUT of the same key corrects it (`version` + 1).
    The row in force on a date is the most specific scope, then the latest start."""

    __tablename__ = "seat_standard"
    __table_args__ = (
        # two PUTs creating the same standard at once: the later one is told, and may send it again
        PrimaryKeyConstraint(
            "scope_code",
            "level",
            "effective_from",
            info=on_violation(
                FieldError(
                    "effective_from",
                    "seat_standard_unique",
                    t(
                        "一个范围、学段与生效日一条标准：另一个请求同时创建了此标准；请再次发送 "
                        "PUT 以替换它",
                        "one standard per scope, level and effective date: a concurrent request "
                        "created this standard; send the PUT again to replace it",
                    ),
                ),
                detail=t(
                    "学位标准已被另一个请求同时创建",
                    "the seat standard was created by a concurrent request",
                ),
            ),
        ),
    )

    scope_code: Mapped[str] = mapped_column(String(6), primary_key=True)  # GB/T 2260 prefix
    level: Mapped[str] = mapped_column(String(10), primary_key=True)  # primary | junior
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    effective_to: Mapped[date | None] = mapped_column(Date)  # exclusive; None = until changed
    seats_per_1000: Mapped[str] = mapped_column(String(12))  # a Decimal, exactly as given
    source: Mapped[str] = mapped_column(String(500))
    evidence: Mapped[str] = mapped_column(String(10))  # OFF | SEC | UNCONF | DERIVED
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API
