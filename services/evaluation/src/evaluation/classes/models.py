"""班级学生数: the classes of every grade of a county's school sections in a school year.

`school_class` (one row per class: `county_code`, `year`, `school_code`, `level`, `grade`,
`name`, `pupils`, `import_id`) and `class_import` (each upload: source, the school it replaced
when only one, the count, content hash, who and when, and the county-year's `version`, which
`evaluation.class_sizes.changed` carries). The newest import of a county-year is in force.
"""

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evaluation.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.i18n import t
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow

CONCURRENT = FieldError(
    "classes",
    "class_data_concurrent",
    t(
        "另一个请求同时存储了本县本年度的班级数据；请再次发送数据",
        "a concurrent request stored the county's classes for the year; send the data again",
    ),
)


class SchoolClass(Base):
    """One class (班级) of a school section: its grade, name and pupils on roll."""

    __tablename__ = "school_class"
    __table_args__ = (
        UniqueConstraint(
            "year",
            "school_code",
            "level",
            "grade",
            "name",
            info=on_violation(
                CONCURRENT,
                detail=t(
                    "班级数据已被另一个请求同时存储",
                    "the classes were stored by a concurrent request",
                ),
            ),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    school_code: Mapped[str] = mapped_column(String(10))
    level: Mapped[str] = mapped_column(String(10))
    grade: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(30))
    pupils: Mapped[int] = mapped_column(Integer)
    import_id: Mapped[int] = mapped_column(Integer, index=True)


class ClassImport(Base):
    """Where a county-year's classes came from: every upload is recorded, newest in force."""

    __tablename__ = "class_import"
    __table_args__ = (
        UniqueConstraint(
            "county_code",
            "year",
            "version",
            info=on_violation(
                CONCURRENT,
                detail=t(
                    "班级数据已被另一个请求同时存储",
                    "the classes were stored by a concurrent request",
                ),
            ),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10))  # api | csv | xlsx
    school_code: Mapped[str | None] = mapped_column(String(10))  # one school replaced, or all
    classes: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
