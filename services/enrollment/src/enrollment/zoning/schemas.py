from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from junheng_kit.i18n import RuleError, t
from junheng_kit.identifiers import CountyCode, SchoolCode

Level = Literal["primary", "junior"]
ZoneType = Literal["single_school", "multi_school"]
Year = Annotated[int, Field(ge=2000, le=2100, description="school year by its start year")]
ZoneCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9_.-]{1,40}$",
        description="片区代码: letters, digits, `-`, `_`, `.`; the name carries the Chinese",
        examples=["DS-P01"],
    ),
]
Longitude = Annotated[float, Field(ge=73.0, le=135.5, description="WGS 84", examples=[109.98])]
Latitude = Annotated[float, Field(ge=3.5, le=53.6, description="WGS 84", examples=[39.82])]
PointId = Annotated[str, Field(min_length=1, max_length=64)]

SQUARE = [[109.97, 39.81], [109.99, 39.81], [109.99, 39.83], [109.97, 39.83], [109.97, 39.81]]


class ZoneProperties(BaseModel):
    model_config = ConfigDict(extra="ignore")  # GIS tools add their own properties

    zone_code: ZoneCode
    name: str = Field(min_length=1, max_length=100, examples=["东胜区第一小学片区"])
    school_codes: list[SchoolCode] = Field(
        min_length=1,
        max_length=50,
        description="one school: 单校划片; several: 多校划片 (places drawn by lottery)",
    )

    @model_validator(mode="after")
    def _schools_unique(self) -> "ZoneProperties":
        if len(set(self.school_codes)) != len(self.school_codes):
            raise RuleError(
                "school_codes_unique",
                t("同一学校在学区中被列出两次", "a school is listed twice in the zone"),
            )
        return self


class ZoneFeature(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["Feature"]
    properties: ZoneProperties
    geometry: dict[str, Any] = Field(
        description="GeoJSON Polygon or MultiPolygon, WGS 84 [longitude, latitude]"
    )


class ZoneCollection(BaseModel):
    """A GeoJSON FeatureCollection: one feature per zone."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["FeatureCollection"]
    features: list[ZoneFeature] = Field(min_length=1, max_length=5000)


EXAMPLE_ZONES: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {
                "zone_code": "DS-P01",
                "name": "东胜区第一小学片区",
                "school_codes": ["2115000001"],
            },
            "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
        }
    ],
}


class ZoneMapCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "county_code": "150602",
                    "level": "primary",
                    "year": 2026,
                    "effective_from": "2026-04-01",
                    "zones": EXAMPLE_ZONES,
                }
            ]
        },
    )

    county_code: CountyCode
    level: Level
    year: Year
    effective_from: date = Field(description="in force from this day until a later version")
    zones: ZoneCollection


class ZoneFeatureProperties(BaseModel):
    zone_code: str
    name: str
    school_codes: list[str]
    zone_type: ZoneType
    area_m2: float


class ZoneFeatureRead(BaseModel):
    type: Literal["Feature"] = "Feature"
    properties: ZoneFeatureProperties
    geometry: dict[str, Any]


class ZoneCollectionRead(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[ZoneFeatureRead]


class ZoneMapSummary(BaseModel):
    id: UUID
    county_code: str
    level: Level
    year: int
    version: int
    effective_from: date
    zone_count: int
    source_sha256: str
    created_by: str
    created_at: datetime


class RezoningRead(BaseModel):
    """学区调整周期: the county's interval in force and whether these zones are due to be
    re-drawn (seed 001: every three years in 通榆县)."""

    interval_years: int
    source: str
    zones_since: date = Field(
        description="the zones are unchanged since this day (earlier versions and years with "
        "the same zones count)"
    )
    due_on: date = Field(description="zones_since + interval_years")
    due: bool = Field(description="today (China time) is on or after due_on: re-zoning is due")


class ZoneMapRead(ZoneMapSummary):
    rezoning: RezoningRead | None = Field(
        None, description="null when the county has no re-zoning interval in force"
    )
    zones: ZoneCollectionRead


class ZoneMapPage(BaseModel):
    items: list[ZoneMapSummary]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )


class ZoneMapRef(BaseModel):
    id: UUID
    version: int
    effective_from: date


class ZoneLookupRead(BaseModel):
    zone_map: ZoneMapRef
    zone_code: str
    name: str
    zone_type: ZoneType = Field(description="single_school 单校划片 / multi_school 多校划片")
    school_codes: list[str] = Field(description="the schools a child living here may attend")


class PointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: PointId
    longitude: Longitude
    latitude: Latitude


class BulkLookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: list[PointIn] = Field(min_length=1, max_length=2_000_000)


class PointZone(BaseModel):
    id: str
    zone_code: str | None = Field(description="null: outside every zone")
    zone_type: ZoneType | None
    school_codes: list[str]


class BulkLookupRead(BaseModel):
    zone_map: ZoneMapRef
    matched: int
    unmatched: int
    results: list[PointZone]


class HouseholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: PointId
    longitude: Longitude
    latitude: Latitude
    current_choice: SchoolCode | None = Field(
        None, description="the school the household chose or was placed at today"
    )


class ZonePreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    county_code: CountyCode
    level: Level
    year: Year
    on: date | None = Field(
        None, description="compare with the map in force that day; default today"
    )
    zones: ZoneCollection = Field(description="the draft map")
    points: list[HouseholdIn] = Field(max_length=500_000)


class HouseholdChangeRead(BaseModel):
    id: str
    old_zone_code: str | None
    new_zone_code: str | None
    old_school_codes: list[str]
    new_school_codes: list[str]
    old_school: str | None = Field(description="null: no zone, or a 多校 zone's draw")
    new_school: str | None
    changes_school: bool


class SchoolBalanceRead(BaseModel):
    school_code: str
    seats: int | None = Field(description="seat plan for the year; null when none is stored")
    demand_before: Decimal = Field(
        description="households at the school; an undecided household of a 多校 zone counts "
        "as an equal share of each of its schools (2 decimals)"
    )
    demand_after: Decimal
    balance_before: Decimal | None
    balance_after: Decimal | None


class ZonePreviewRead(BaseModel):
    base_map: ZoneMapRef | None = Field(description="the map in force compared with; null: none")
    zone_changed: int
    school_changed: int
    points: list[HouseholdChangeRead]
    schools: list[SchoolBalanceRead]


class CohortRow(BaseModel):
    """One count: 户籍 children of a primary zone by birth year (and month), or pupils of a
    junior zone by primary grade, as counted in the base year."""

    model_config = ConfigDict(extra="forbid")

    zone_code: ZoneCode
    birth_year: int | None = Field(None, ge=1990, le=2100)
    birth_month: int | None = Field(None, ge=1, le=12)
    grade: int | None = Field(None, ge=1, le=6, description="primary grade (junior zones)")
    children: int = Field(ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _one_kind(self) -> "CohortRow":
        if (self.birth_year is None) == (self.grade is None):
            raise RuleError(
                "birth_year_or_grade",
                t(
                    "请给出 birth_year（小学学区）或 grade（初中学区），二者选一",
                    "give birth_year (primary zone) or grade (junior zone), one of the two",
                ),
            )
        if self.birth_month is not None and self.birth_year is None:
            raise RuleError(
                "birth_month_needs_year",
                t("birth_month 须与 birth_year 一起给出", "birth_month is given with birth_year"),
            )
        return self


class CohortsPut(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "rows": [
                        {"zone_code": "DS-P01", "birth_year": 2020, "children": 120},
                        {"zone_code": "DS-J01", "grade": 6, "children": 410},
                    ]
                }
            ]
        },
    )

    rows: list[CohortRow] = Field(min_length=1, max_length=200_000)


class CohortsRead(BaseModel):
    county_code: str
    year: int
    source: str
    rows: list[CohortRow]
    content_sha256: str
    imported_by: str
    imported_at: datetime


class ResidentRow(BaseModel):
    """常住人口 of one zone: the people living in it, counted in the base year (seed 002: the
    seat standard takes resident population as its base)."""

    model_config = ConfigDict(extra="forbid")

    zone_code: ZoneCode
    level: Level = Field(description="the zone map the zone belongs to: primary or junior")
    residents: int = Field(ge=0, le=100_000_000, description="常住人口 of the zone")


class ResidentPopulationPut(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "rows": [
                        {"zone_code": "DS-P01", "level": "primary", "residents": 23400},
                        {"zone_code": "DS-J01", "level": "junior", "residents": 51200},
                    ]
                }
            ]
        },
    )

    rows: list[ResidentRow] = Field(min_length=1, max_length=200_000)


class ResidentPopulationRead(BaseModel):
    county_code: str
    year: int = Field(description="the base year the residents were counted in")
    source: str
    rows: list[ResidentRow]
    content_sha256: str
    imported_by: str
    imported_at: datetime
