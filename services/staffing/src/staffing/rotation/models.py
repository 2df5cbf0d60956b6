"""交流轮岗 tables: plans with their stored answer, school confirmations and executed moves."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from junheng_kit.db import UtcDateTime
from junheng_kit.i18n import t
from junheng_kit.ids import uuid7
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow
from staffing.db import Base


class PlanStatus(StrEnum):
    DRAFT = "draft"  # generated; schools confirm
    CONFIRMED = "confirmed"  # every sending and receiving school confirmed
    APPROVED = "approved"  # the bureau approved (with a justification if a share rule is missed)
    EXECUTED = "executed"  # the moves were recorded in the registry


class RotationPlan(Base):
    """交流轮岗方案: one county's plan for a school year, its inputs and the optimiser's answer."""

    __tablename__ = "rotation_plan"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[PlanStatus] = mapped_column(
        Enum(
            PlanStatus,
            native_enum=False,
            create_constraint=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=PlanStatus.DRAFT,
    )
    request: Mapped[dict[str, Any]] = mapped_column(JSON)  # the request as received
    result: Mapped[dict[str, Any]] = mapped_column(JSON)  # RotationPlanRead without workflow
    quota_rules_met: Mapped[bool] = mapped_column(Boolean)
    justification: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    executed_by: Mapped[str | None] = mapped_column(String(100))
    executed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API


class RotationConfirmation(Base):
    """A sending or receiving school's confirmation of the plan (学校确认)."""

    __tablename__ = "rotation_confirmation"
    __table_args__ = (
        # the check's answer, for a confirmation that raced another of the same school
        UniqueConstraint(
            "plan_id",
            "school_code",
            info=on_violation(
                FieldError("school_code", "school_confirms_once"),
                detail=t("已确认", "already confirmed"),
            ),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[UUID] = mapped_column(ForeignKey("rotation_plan.id"), index=True)
    school_code: Mapped[str] = mapped_column(String(10))
    confirmed_by: Mapped[str] = mapped_column(String(100))  # the client that recorded it
    signatory: Mapped[str] = mapped_column(String(100))  # who signed for the school
    note: Mapped[str | None] = mapped_column(String(500))
    confirmed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RotationExecution(Base):
    """One move as executed (it may differ from the plan: the adherence report says how)."""

    __tablename__ = "rotation_execution"
    __table_args__ = (
        # an execution that raced another of the same plan: the workflow check's answer
        UniqueConstraint(
            "plan_id",
            "teacher_id",
            info=on_violation(
                FieldError(
                    "status",
                    "rotation_plan_workflow",
                    t(
                        "草稿 → 各校确认 → 批准 → 执行",
                        "draft → confirmed by every school → approved → executed",
                    ),
                ),
                detail=t(
                    "方案已被另一个请求同时执行", "the plan was executed by a concurrent request"
                ),
            ),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[UUID] = mapped_column(ForeignKey("rotation_plan.id"), index=True)
    teacher_id: Mapped[UUID] = mapped_column()
    from_school: Mapped[str] = mapped_column(String(10))
    to_school: Mapped[str] = mapped_column(String(10))
    is_backbone: Mapped[bool] = mapped_column(Boolean)
    moved_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
