from uuid import UUID

from pydantic import BaseModel

from evaluation.assessment.catalogue import Level


class IndicatorTrend(BaseModel):
    county_mean: float  # Σamount ÷ Σpupils × per_students, the indicator's unit
    cv: float
    cv_passed: bool


class LevelTrend(BaseModel):
    sections: int
    passing_sections: int
    indicators: dict[str, IndicatorTrend]


class YearTrend(BaseModel):
    year: int
    assessment_id: UUID
    resource_allocation_passed: bool
    levels: dict[Level, LevelTrend]
    inputs_sha256: str  # of that assessment
    catalogue_version: str


class TrendsRead(BaseModel):
    county_code: str
    years: list[YearTrend]  # oldest first; years without an assessment are left out


class FailingCv(BaseModel):
    level: Level
    indicator: str


class WorstCv(BaseModel):
    indicator: str
    value: float
    limit: float


class CountyRollup(BaseModel):
    county_code: str
    assessment_id: UUID
    resource_allocation_passed: bool
    failing_schools: int  # how many sections fail the per-school rule
    failing_cv: list[FailingCv]
    worst_cv: dict[Level, WorstCv]  # largest CV relative to its limit, per level
    inputs_sha256: str  # of that assessment
    catalogue_version: str


class RollupRead(BaseModel):
    region_code: str
    year: int
    counties_assessed: int
    counties_passing: int
    counties: list[CountyRollup]  # by county code
