from datetime import datetime

from sqlalchemy import Boolean, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evaluation.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.i18n import t
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow


class SchoolResource(Base):
    """学校资源配置数据: one school section's resources in one school year."""

    __tablename__ = "school_resource"
    __table_args__ = (
        # a section stored by a concurrent replacement of the county's data (or another
        # county's report of the school) after this one's checks
        UniqueConstraint(
            "year",
            "school_code",
            "level",
            info=on_violation(
                FieldError(
                    "schools",
                    "school_resource_unique",
                    t(
                        "另一个请求同时存储了本年度的这些学段；请再次发送数据以替换",
                        "a concurrent request stored these sections for the year; send the data "
                        "again to replace them",
                    ),
                ),
                detail=t(
                    "本县本年度的数据已被另一个请求同时存储",
                    "the county's data for the year was stored by a concurrent request",
                ),
            ),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer)
    school_code: Mapped[str] = mapped_column(String(10))
    level: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100))
    students: Mapped[int] = mapped_column(Integer)
    teachers_above_required_degree: Mapped[int] = mapped_column(Integer)
    backbone_teachers: Mapped[int] = mapped_column(Integer)
    pe_arts_teachers: Mapped[int] = mapped_column(Integer)
    teaching_auxiliary_area_m2: Mapped[float] = mapped_column(Float)
    sports_venue_area_m2: Mapped[float] = mapped_column(Float)
    equipment_value_yuan: Mapped[float] = mapped_column(Float)
    multimedia_classrooms: Mapped[int] = mapped_column(Integer)
    # 教学点: the county's scope rule (min_pupils_teaching_point) may leave it out; e0007
    teaching_point: Mapped[bool] = mapped_column(Boolean, default=False)
    # 特殊教育学校: never in the 资源配置 assessment (domain.md §5.1); e0009
    special_education: Mapped[bool] = mapped_column(Boolean, default=False)
    import_id: Mapped[int] = mapped_column(Integer, index=True)


class ResourceImport(Base):
    """Where a county-year's data came from: every upload is recorded, newest in force."""

    __tablename__ = "resource_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10))  # api | csv | xlsx
    sections: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
