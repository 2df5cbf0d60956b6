from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from enrollment.seats.policy import Level

Year = Annotated[int, Field(ge=2000, le=2100, description="school year by its start year")]


class SeatPlanPut(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"level": "primary", "planned_classes": 6, "class_sizes": [44, 45, 57]}]
        },
    )

    level: Level = Field(description="entry level: primary (grade 1) or junior (grade 7)")
    planned_classes: int = Field(ge=0, le=200, description="planned entry-grade classes")
    class_cap: int | None = Field(
        None,
        ge=1,
        description="班额 cap for these classes; at most the policy's (45 primary, 50 junior); "
        "default the policy's",
    )
    class_sizes: list[Annotated[int, Field(ge=0, le=200)]] = Field(
        default_factory=list,
        max_length=500,
        description="pupils in each current class of the school and level, for 大班额 flags",
    )


class ClassFlagsRead(BaseModel):
    over_cap: int = Field(description="classes above the cap in force")
    large: int = Field(description="大班额: classes of 56–65 pupils")
    extra_large: int = Field(description="超大班额: classes of 66 pupils or more")


class SeatPlanRead(BaseModel):
    school_code: str
    county_code: str
    level: Level
    year: int
    grade: int = Field(description="entry grade: 1 (primary) or 7 (junior)")
    planned_classes: int
    class_cap: int
    policy_class_cap: int = Field(description="the cap the class-size policy sets for the level")
    seats: int = Field(description="planned_classes × class_cap")
    class_sizes: list[int]
    flags: ClassFlagsRead
    class_size_policy: str = Field(description="version of the class-size policy applied")
    version: int
    updated_by: str
    updated_at: datetime


class SeatPlanList(BaseModel):
    items: list[SeatPlanRead]


class SeatPlanPage(BaseModel):
    items: list[SeatPlanRead]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )


class ZoneForecastYear(BaseModel):
    year: int
    demand: int = Field(description="local_demand + migrant_demand")
    local_demand: int = Field(description="户籍 children from the cohort counts (rounded up)")
    migrant_demand: int = Field(
        description="随迁子女: the base year's migrant applications living in the zone"
    )
    seats: int = Field(description="seats of the zone's schools (a 多校 zone pools them)")
    balance: int = Field(description="seats − demand")
    is_short: bool = Field(description="学位不足: demand above seats")
    counts_complete: bool = Field(description="every cohort the year needs was counted")


class ZoneForecast(BaseModel):
    zone_code: str
    name: str
    zone_type: str
    school_codes: list[str]
    years: list[ZoneForecastYear]


class SeatForecastRead(BaseModel):
    county_code: str
    level: Level
    grade: int
    base_year: int = Field(description="the year the children were counted (cohort import)")
    years: list[int]
    zone_map_id: UUID
    zone_map_version: int
    entry_age_policy: str
    zones: list[ZoneForecast]
    short_zones: list[str] = Field(description="zones short of seats in at least one year")
    migrant_applications: int = Field(
        description="migrant applications of the base year (not rejected) counted in the zones"
    )
