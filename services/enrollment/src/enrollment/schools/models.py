from datetime import datetime

from sqlalchemy import JSON, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from enrollment.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow

SCHOOL_CODE_UNIQUE = FieldError(
    "school_code", "school_code_unique", "a 学校标识码 identifies one school"
)


class School(Base):
    """学校登记: the registry of schools this county's enrollment runs on."""

    __tablename__ = "school"
    __table_args__ = (
        # registered by a concurrent request after this one's check: the check's answer
        PrimaryKeyConstraint(
            "school_code",
            info=on_violation(SCHOOL_CODE_UNIQUE, detail="this school is already registered"),
        ),
    )

    school_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    levels: Mapped[list[str]] = mapped_column(JSON)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    longitude: Mapped[float]
    latitude: Mapped[float]
    planned_capacity: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API
