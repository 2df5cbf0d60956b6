from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from junheng_contracts.enrollment import SchoolLevel
from junheng_kit.identifiers import CountyCode, SchoolCode

SchoolName = Annotated[str, Field(min_length=2, max_length=100, examples=["东胜区第一小学"])]
Levels = Annotated[
    list[SchoolLevel],
    Field(
        min_length=1,
        max_length=4,
        description="学段: primary, junior, nine_year (九年一贯制), complete_secondary (完全中学)",
    ),
]
Capacity = Annotated[int, Field(ge=1, le=20000, description="规划学位数: planned seats")]


class Location(BaseModel):
    """WGS 84 position of the main campus; checked against China's extent."""

    model_config = ConfigDict(extra="forbid")
    longitude: float = Field(ge=73.0, le=135.5, examples=[109.99])
    latitude: float = Field(ge=3.5, le=53.6, examples=[39.82])


def _unique(levels: list[str] | None) -> None:
    if levels is not None and len(set(levels)) != len(levels):
        raise ValueError("levels_unique: a level is listed twice")


class SchoolCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "school_code": "2115000001",
                    "name": "东胜区第一小学",
                    "levels": ["primary"],
                    "county_code": "150602",
                    "location": {"longitude": 109.99, "latitude": 39.82},
                    "planned_capacity": 1800,
                }
            ]
        },
    )

    school_code: SchoolCode = Field(
        description="学校标识码: category (2) + province (2) + sequence (6)"
    )
    name: SchoolName
    levels: Levels
    county_code: CountyCode = Field(description="GB/T 2260 code of the county the school is in")
    location: Location
    planned_capacity: Capacity

    @model_validator(mode="after")
    def _levels_unique(self) -> Self:
        _unique(list(self.levels))
        return self


class SchoolUpdate(BaseModel):
    """Fields to change; the school code never changes."""

    model_config = ConfigDict(extra="forbid")

    name: SchoolName | None = None
    levels: Levels | None = None
    county_code: CountyCode | None = None
    location: Location | None = None
    planned_capacity: Capacity | None = None

    @field_validator("name", "levels", "county_code", "location", "planned_capacity")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # a field left out stays as it is; an explicit null would blank a required column
        if value is None:
            raise ValueError("not_nullable: give a value or leave the field out")
        return value

    @model_validator(mode="after")
    def _levels_unique(self) -> Self:
        _unique(list(self.levels) if self.levels is not None else None)
        return self


class SchoolRead(BaseModel):
    school_code: str
    name: str
    levels: list[SchoolLevel]
    county_code: str
    location: Location
    planned_capacity: int
    version: int
    created_at: datetime
    updated_at: datetime


class SchoolPage(BaseModel):
    items: list[SchoolRead]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )
