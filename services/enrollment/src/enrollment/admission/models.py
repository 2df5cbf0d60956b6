"""Admission tables: priority policies (versioned), applications, per-fact verifications and
the append-only audit trail of every application."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from enrollment.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.fieldcrypt import Encrypted, normalise_citizen_id
from junheng_kit.fieldcrypt_columns import EncryptedJSON, JSONWithEncryptedFields, blind_index_of
from junheng_kit.i18n import t
from junheng_kit.ids import uuid7
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow

APPLICATION_UNIQUE = FieldError(
    "child.citizen_id",
    "application_unique",
    t(
        "每名儿童每学年只能提交一份申请；请修改或撤回第一份",
        "one application per child and school year; change or withdraw the first",
    ),
)
APPLICATION_UNIQUE_DETAIL = t(
    "该儿童本年度已有一份申请", "this child already has an application this year"
)
HOUSEHOLD_PERSONAL = (("hukou", "address"), ("residence_permit", "number"))
ADMITTED_ONCE = FieldError(
    "path.run_id", "admitted_once", t("每名儿童只能被录取一次", "a child is admitted once")
)


class PriorityPolicy(Base):
    """招生政策 (priority tiers) of one county, level and school year; a change adds a version."""

    __tablename__ = "priority_policy"
    __table_args__ = (
        # two publications numbered the same next version: the later one is told to send it again
        UniqueConstraint(
            "county_code",
            "year",
            "level",
            "version",
            info=on_violation(
                FieldError(
                    "version",
                    "policy_version_unique",
                    t(
                        "另一版本同时发布；请再次发送 PUT 以添加下一版本",
                        "another version was published at the same time; send the PUT again to "
                        "add the next version",
                    ),
                ),
                detail=t(
                    "这些优先录取规则的另一版本已同时发布",
                    "another version of these priority rules was published at the same time",
                ),
            ),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    county_code: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    document_sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Application(Base):
    """入学申请: one child, one county and school year, one entry grade."""

    __tablename__ = "application"
    __table_args__ = (
        # one application per child and year, by the blind index of the citizen ID
        UniqueConstraint(
            "year",
            "citizen_id_index",
            name="uq_application_year_child",
            info=on_violation(APPLICATION_UNIQUE, detail=APPLICATION_UNIQUE_DETAIL),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(10))
    grade: Mapped[int] = mapped_column(Integer)
    # the child: the citizen ID stays in this table, encrypted (junheng_kit.fieldcrypt), found
    # through its blind index; everything else uses the pseudonymous key
    child_key: Mapped[str] = mapped_column(String(32), index=True)
    citizen_id: Mapped[str] = mapped_column(Encrypted("enrollment.application.citizen_id"))
    citizen_id_index: Mapped[str] = mapped_column(
        String(32),
        info=blind_index_of(
            "citizen_id", "enrollment.application.citizen_id", "citizen_id", normalise_citizen_id
        ),
    )
    # 全国学籍号 (personal data like the citizen ID: a G number is G + the ID), when given
    student_number: Mapped[str | None] = mapped_column(
        Encrypted("enrollment.application.student_number")
    )
    child_name: Mapped[str] = mapped_column(Encrypted("enrollment.application.child_name"))
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(6))
    # name, relation and phone: encrypted as one document
    guardian: Mapped[dict[str, Any]] = mapped_column(
        EncryptedJSON("enrollment.application.guardian")
    )
    # the 户籍 address and the 居住证 number encrypted inside the document; the rest (county,
    # type, location, housing, dates, months) plain, as the lottery's instance reads it
    household: Mapped[dict[str, Any]] = mapped_column(
        JSONWithEncryptedFields("enrollment.application.household", HOUSEHOLD_PERSONAL)
    )
    migrant: Mapped[bool] = mapped_column(Boolean)
    home_longitude: Mapped[float] = mapped_column(Float)
    home_latitude: Mapped[float] = mapped_column(Float)
    home_address: Mapped[str] = mapped_column(Encrypted("enrollment.application.home_address"))
    # zones in force at submission: the school options they gave, and the choices made
    home_zone_code: Mapped[str | None] = mapped_column(String(50))
    hukou_zone_code: Mapped[str | None] = mapped_column(String(50))
    home_schools: Mapped[list[str]] = mapped_column(JSON)
    hukou_schools: Mapped[list[str]] = mapped_column(JSON)
    choices: Mapped[list[str]] = mapped_column(JSON)
    # 小学毕业学校 (grade 7, when given): the school the child leaves primary at (九年一贯制对口)
    primary_school_code: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), index=True)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API


class ApplicationVerification(Base):
    """核验: the latest check of one document/fact of an application (history in the trail)."""

    __tablename__ = "application_verification"
    __table_args__ = (
        # two checks of one document recorded at once: the later one is told, and may resend it
        PrimaryKeyConstraint(
            "application_id",
            "document",
            info=on_violation(
                FieldError(
                    "path.document",
                    "verification_unique",
                    t(
                        "同一材料正被同时核验；请再次发送 PUT 以将本次记录为最新",
                        "a concurrent check of this document was recorded; send the PUT again "
                        "to record this one as the latest",
                    ),
                ),
                detail=t(
                    "此材料的核验已由另一个请求同时记录",
                    "this document's check was recorded by a concurrent request",
                ),
            ),
        ),
    )

    application_id: Mapped[UUID] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[str] = mapped_column(String(30), primary_key=True)
    result: Mapped[str] = mapped_column(String(10))  # confirmed | refuted | pending
    source: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(500))
    checked_by: Mapped[str] = mapped_column(String(100))
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ApplicationEvent(Base):
    """审核留痕: append-only audit trail — who did what to an application, when and why."""

    __tablename__ = "application_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[UUID] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Admission(Base):
    """录取: a child's confirmed place — from an assignment run or from 统筹 by the bureau."""

    __tablename__ = "admission"
    __table_args__ = (
        # admitted by a concurrent confirmation (of this run or another) after this one's checks
        PrimaryKeyConstraint(
            "application_id",
            info=on_violation(
                ADMITTED_ONCE,
                detail=t(
                    "本次派位中的一名儿童已在此期间被录取",
                    "a child of this run was admitted meanwhile",
                ),
            ),
        ),
    )

    application_id: Mapped[UUID] = mapped_column(ForeignKey("application.id"), primary_key=True)
    school_code: Mapped[str] = mapped_column(String(10), index=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(10))
    route: Mapped[str] = mapped_column(String(10))  # assignment | overflow
    # the child's 全国学籍号 as the application held it at confirmation (the exchange key)
    student_number: Mapped[str | None] = mapped_column(
        Encrypted("enrollment.admission.student_number")
    )
    run_id: Mapped[UUID] = mapped_column(index=True)
    distance_km: Mapped[float | None] = mapped_column(Float)
    confirmed_by: Mapped[str] = mapped_column(String(100))
    confirmed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
