from datetime import date, datetime

from sqlalchemy import JSON, Date, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from enrollment.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.i18n import t
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow

SCHOOL_CODE_UNIQUE = FieldError(
    "school_code",
    "school_code_unique",
    t(
        "一个学校标识码只对应一所学校",
        "a 学校标识码 (school identification code) identifies one school",
    ),
)


class School(Base):
    """学校登记: the registry of schools this county's enrollment runs on."""

    __tablename__ = "school"
    __table_args__ = (
        # registered by a concurrent request after this one's check: the check's answer
        PrimaryKeyConstraint(
            "school_code",
            info=on_violation(
                SCHOOL_CODE_UNIQUE, detail=t("该学校已登记", "this school is already registered")
            ),
        ),
    )

    school_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    levels: Mapped[list[str]] = mapped_column(JSON)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    longitude: Mapped[float]
    latitude: Mapped[float]
    planned_capacity: Mapped[int] = mapped_column(Integer)
    # national codes (junheng_kit.school_codes; issue 19): null where the bureau has not given one
    school_type: Mapped[str | None] = mapped_column(String(3))  # 办学类型
    urban_rural_code: Mapped[str | None] = mapped_column(String(3))  # 城乡分类代码
    division_code: Mapped[str | None] = mapped_column(String(12))  # 统计用区划代码
    ownership: Mapped[str | None] = mapped_column(String(7))  # public 公办 | private 民办
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API


class PrivateShareCap(Base):
    """民办义务教育在校生占比上限: a county's cap on the private share of pupils, as the county
    set it (append-only; the row in force on a date is the latest `effective_from`, then the
    latest set). Seed 000 asks counties to keep the share under control; no source gives a value
    (domain.md §2.4: PARAM, no default)."""

    __tablename__ = "private_share_cap"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    cap: Mapped[str] = mapped_column(String(8))  # a Decimal in (0, 1], exactly as given
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)  # exclusive
    source: Mapped[str] = mapped_column(String(500))
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
