"""路途时间 API shapes: a county's travel model, and the commute check of a 统筹 proposal."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from junheng_kit.i18n import RuleError, t

Mode = Literal["walking", "school_bus"]


class CommuteModelCreate(BaseModel):
    """How the county estimates a pupil's trip, from its own document or survey (no source
    gives a speed or a detour factor: there is no default)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "mode": "school_bus",
                    "speed_kmh": "30",
                    "detour_factor": "1.3",
                    "effective_from": "2025-01-01",
                    "source": "东胜区教育局 2025 年校车线路测速（示例）",
                }
            ]
        },
    )

    mode: Mode = Field(description="walking (步行) | school_bus (校车): the trip the speed is of")
    speed_kmh: Decimal = Field(
        gt=0, le=120, max_digits=5, decimal_places=2, description="average door-to-door speed"
    )
    detour_factor: Decimal = Field(
        ge=1,
        le=5,
        max_digits=4,
        decimal_places=2,
        description="route length ÷ straight-line distance (非直线系数); 1 = as the crow flies",
    )
    effective_from: date
    effective_to: date | None = Field(None, description="exclusive; null = until changed")
    source: str = Field(min_length=2, max_length=500, description="the county's document or survey")

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise RuleError(
                "effective_dates_order",
                t(
                    "effective_to 必须晚于 effective_from",
                    "effective_to must be after effective_from",
                ),
            )
        return self


class CommuteModelRead(BaseModel):
    id: int
    county_code: str
    mode: Mode
    speed_kmh: Decimal
    detour_factor: Decimal
    effective_from: date
    effective_to: date | None
    source: str
    set_by: str
    set_at: datetime


class CommuteModelList(BaseModel):
    items: list[CommuteModelRead] = Field(description="as set, oldest first")


class CommuteLimitRead(BaseModel):
    scope_code: str = Field(description='GB/T 2260 prefix the limit applies in ("15" 内蒙古)')
    level: Literal["primary", "junior"]
    grades: list[int] = Field(description="the grades the limit is for (1–3)")
    max_minutes: Decimal = Field(description="不超过: a trip of exactly this long is within")
    effective_from: date
    effective_to: date | None
    source: str
    evidence: str = Field(description="OFF official text, SEC secondary sources")


CommuteStatus = Literal["checked", "model_not_set", "no_limit"]


class CommuteCheckRead(BaseModel):
    """路途时间: the offers' estimated travel time against the commute limit in force."""

    status: CommuteStatus = Field(
        description="checked: limit and model in force, offers over the limit flagged; "
        "model_not_set: a limit is in force but the county has set no travel model (no "
        "estimate, no flag — set one at /v1/counties/{county}/commute-models); no_limit: no "
        "limit for the county and entry grade (minutes shown when a model is set, no flag)"
    )
    on: date = Field(description="the run's school year start: the day limit and model are read")
    limit: CommuteLimitRead | None
    model: CommuteModelRead | None
    over_limit: int = Field(description="offers flagged over_commute_limit")
    note: str
