from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
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
    resident_population: int | None = Field(
        description="常住人口 of the zone in the base year, as the bureau gave it; null: not given"
    )
    standard_seats: int | None = Field(
        description="学位配置标准: ⌈resident_population × seats per 1,000 ÷ 1,000⌉ with the "
        "standard in force for the year; null when either is missing (see standard_missing)"
    )
    level_seats: int = Field(
        description="seats of the level in the zone's schools, all grades (6 primary, 3 junior): "
        "the entry seats planned for each cohort in school that year, as `seats` is for the "
        "entry grade; the 学位配置标准 counts a whole level"
    )
    level_seats_complete: bool = Field(
        description="every school of the zone had a seat plan for each of those entry years "
        "(else the missing years count no seats)"
    )
    standard_gap: int | None = Field(
        description="standard_seats − level_seats: above 0, the zone's seats of the level fall "
        "short of the standard"
    )
    standard_missing: list[Literal["resident_population", "seat_standard"]] = Field(
        description="why standard_seats is null: no resident population for the zone, no seat "
        "standard in force for the county, level and year; empty when computed"
    )


# ---- 学位配置标准 (seed 000, seed 002; domain.md §2.5) ----------------------------------------

Evidence = Literal["OFF", "SEC", "UNCONF", "DERIVED"]


class SeatStandardPut(BaseModel):
    """学位配置标准 of a region or county for a level, from the date in the path on. No source
    gives a value (domain.md §2.5), so the example is an example, not a default."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "seats_per_1000": "95",
                    "source": "示例 / example: 东胜区城镇义务教育学位配置标准（文件名称与文号）",
                    "evidence": "OFF",
                }
            ]
        },
    )

    seats_per_1000: Decimal = Field(
        gt=0,
        le=1000,
        max_digits=7,
        decimal_places=3,
        description="seats per 1,000 resident population (常住人口), as the document gives it",
        examples=["95"],
    )
    effective_to: date | None = Field(
        None, description="exclusive; null = until a later standard replaces it"
    )
    source: str = Field(
        min_length=2, max_length=500, description="the region's or county's document (name, 文号)"
    )
    evidence: Evidence = Field(
        "OFF", description="OFF official text seen, SEC secondary sources, UNCONF, DERIVED"
    )


class SeatStandardRead(BaseModel):
    scope_code: str = Field(description="GB/T 2260 prefix: 2 province, 4 prefecture, 6 county")
    level: Level
    effective_from: date
    effective_to: date | None = Field(description="exclusive; null = until changed")
    seats_per_1000: Decimal = Field(description="seats per 1,000 resident population")
    source: str
    evidence: str
    version: int
    updated_by: str
    updated_at: datetime


class SeatStandardList(BaseModel):
    county_code: str
    year: int | None = Field(description="the school year `in_force` answers for; null: not asked")
    items: list[SeatStandardRead] = Field(
        description="every standard whose scope covers the county (province, prefecture, county)"
    )
    in_force: list[SeatStandardRead] = Field(
        description="per level, the standard in force on 1 September of `year` (the most "
        "specific scope, then the latest start); a level without one is absent"
    )


class SeatStandardInForce(BaseModel):
    year: int
    standard: SeatStandardRead | None = Field(
        description="null: no standard in force (no official value exists; the region or "
        "county sets it)"
    )


class ResidentPopulationRef(BaseModel):
    year: int = Field(description="the base year the residents were counted in")
    zones: int = Field(description="zones of this level with a count")
    content_sha256: str
    imported_at: datetime


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
    resident_population: ResidentPopulationRef | None = Field(
        description="the base year's 常住人口 import used; null: none imported"
    )
    seat_standards: list[SeatStandardInForce] = Field(
        description="the 学位配置标准 in force on 1 September of each forecast year"
    )
