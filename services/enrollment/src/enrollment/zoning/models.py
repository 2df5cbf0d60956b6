from datetime import date, datetime
from uuid import UUID

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enrollment.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.i18n import t
from junheng_kit.ids import uuid7
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow

ZONE_MAP_VERSION_UNIQUE = FieldError(
    "year",
    "zone_map_version_unique",
    t("版本号已被同时导入的版本占用", "the version number was taken by a concurrent import"),
)
ZONE_MAP_VERSION_DETAIL = t(
    "此学区图的另一版本已同时保存；请重试",
    "another version of this zone map was stored at the same time; retry",
)


class ZoneMap(Base):
    """划片方案: one version of a county's attendance zones for a level and school year.

    Immutable once stored: re-zoning adds version n+1 and never edits an older one, because an
    appeal refers to the zone in force when the family applied (domain.md §2.1).
    """

    __tablename__ = "zone_map"
    __table_args__ = (
        # two imports numbered the same next version: the later one is told to send it again
        UniqueConstraint(
            "county_code",
            "level",
            "year",
            "version",
            info=on_violation(ZONE_MAP_VERSION_UNIQUE, detail=ZONE_MAP_VERSION_DETAIL),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    level: Mapped[str] = mapped_column(String(10))  # primary | junior
    year: Mapped[int] = mapped_column(Integer)  # school year by its start year
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    zone_count: Mapped[int] = mapped_column(Integer)
    source_sha256: Mapped[str] = mapped_column(String(64))  # of the imported FeatureCollection
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    zones: Mapped[list["AttendanceZone"]] = relationship(
        back_populates="zone_map", lazy="raise", order_by="AttendanceZone.zone_code"
    )


class AttendanceZone(Base):
    """片区: one zone of a zone map — its schools (one: 单校划片, several: 多校划片) and shape."""

    __tablename__ = "attendance_zone"
    __table_args__ = (UniqueConstraint("map_id", "zone_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    map_id: Mapped[UUID] = mapped_column(ForeignKey("zone_map.id"), index=True)
    zone_code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    school_codes: Mapped[list[str]] = mapped_column(JSON)
    geometry_wkb: Mapped[bytes] = mapped_column(LargeBinary)  # WGS 84 polygon or multipolygon
    area_m2: Mapped[float] = mapped_column(Float)  # local equal-area approximation

    zone_map: Mapped[ZoneMap] = relationship(back_populates="zones", lazy="raise")


class CohortImport(Base):
    """学龄人口数据: one import of a county's child counts by zone for a base school year."""

    __tablename__ = "cohort_import"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10))  # json | csv
    rows: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CohortCount(Base):
    """Children by zone: 户籍 children by birth year (and month, if known) in a primary zone, or
    pupils by grade in a junior zone, as counted in the base year."""

    __tablename__ = "cohort_count"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    import_id: Mapped[UUID] = mapped_column(ForeignKey("cohort_import.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(10))  # primary (birth cohorts) | junior (grades)
    zone_code: Mapped[str] = mapped_column(String(40))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    birth_month: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[int | None] = mapped_column(Integer)
    children: Mapped[int] = mapped_column(Integer)


class ResidentPopulationImport(Base):
    """常住人口数据: one import of a county's resident population by zone for a base year, as the
    bureau gives it (seed 002: the seat standard takes resident population as its base)."""

    __tablename__ = "resident_population_import"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10))  # json | csv | xlsx
    rows: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


RESIDENT_ZONE_UNIQUE = FieldError(
    "rows",
    "row_unique",
    t(
        "一个片区一个常住人口数：另一个导入同时存储了此片区，请重试",
        "one resident population per zone: a concurrent import stored this zone; retry",
    ),
)


class ResidentPopulation(Base):
    """常住人口 of one zone of a county's primary or junior zone map, counted in the base year."""

    __tablename__ = "resident_population"
    __table_args__ = (
        CheckConstraint("residents >= 0", name="residents_non_negative"),
        # two imports replacing the same year at once: the later one is told to send it again
        UniqueConstraint(
            "county_code",
            "year",
            "level",
            "zone_code",
            info=on_violation(
                RESIDENT_ZONE_UNIQUE,
                detail=t(
                    "本年度常住人口的另一次导入已同时保存；请再次发送",
                    "another import of this year's resident population was stored at the same "
                    "time; send it again",
                ),
            ),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    import_id: Mapped[UUID] = mapped_column(ForeignKey("resident_population_import.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(10))  # the zone map: primary | junior
    zone_code: Mapped[str] = mapped_column(String(40))
    residents: Mapped[int] = mapped_column(Integer)
