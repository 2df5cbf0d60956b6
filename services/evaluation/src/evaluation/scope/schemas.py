"""County scope rules (domain.md §5.1): no national default; a county sets each with a citation."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Weight = Annotated[Decimal, Field(gt=0, le=100, allow_inf_nan=False)]


class NineYearWeights(BaseModel):
    model_config = ConfigDict(extra="forbid")
    primary: Weight
    junior: Weight


class CompleteSecondaryWeights(BaseModel):
    model_config = ConfigDict(extra="forbid")
    junior: Weight
    senior: Weight


class TwelveYearWeights(BaseModel):
    model_config = ConfigDict(extra="forbid")
    primary: Weight
    junior: Weight
    senior: Weight


class CombinedSchoolWeights(BaseModel):
    """Pupil weights per part (e.g. nine-year 1 : 1.1, complete secondary 1 : 1.2, twelve-year
    1 : 1.1 : 1.32); kinds left out are refused when a school of that kind shares resources."""

    model_config = ConfigDict(extra="forbid")
    nine_year: NineYearWeights | None = None
    complete_secondary: CompleteSecondaryWeights | None = None
    twelve_year: TwelveYearWeights | None = None


class ScopeRulePut(BaseModel):
    """One version of a scope rule: `min_pupils` for `min_pupils_teaching_point`, `weights` for
    `combined_school_weights`; in force from `effective_from` (to `effective_to`, exclusive)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "effective_from": "2025-09-01",
                    "citation": "某县教育局《优质均衡评估实施细则》（2025）第三条",
                    "weights": {"nine_year": {"primary": "1", "junior": "1.1"}},
                },
                {
                    "effective_from": "2025-09-01",
                    "citation": "某县教育局《优质均衡评估实施细则》（2025）第二条",
                    "min_pupils": 50,
                },
            ]
        },
    )

    effective_from: date
    effective_to: date | None = None
    citation: str = Field(min_length=1, max_length=1000, description="the county's source")
    min_pupils: int | None = Field(None, ge=1, le=10_000)
    weights: CombinedSchoolWeights | None = None


class ScopeRuleRead(BaseModel):
    county_code: str
    key: str
    effective_from: date
    effective_to: date | None
    value: dict[str, Any]
    citation: str
    set_by: str


class ScopeRulesRead(BaseModel):
    county_code: str
    on: date | None = Field(description="when given: only the versions in force on that date")
    rules: list[ScopeRuleRead]
