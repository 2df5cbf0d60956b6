from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from junheng_contracts.enrollment import SchoolLevel
from junheng_kit.classification import Public
from junheng_kit.i18n import RuleError, t
from junheng_kit.identifiers import CountyCode, SchoolCode
from junheng_kit.school_codes import (
    Ownership,
    OwnershipCode,
    SchoolTypeCode,
    StatisticalDivisionCode,
    UrbanRuralCode,
)

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
SchoolType = Annotated[
    SchoolTypeCode,
    Field(
        description="办学类型: the education statistics' code or its Chinese label (211 小学, "
        "218 小学教学点, 219 附设小学班, 311 初级中学, 312 九年一贯制学校, 319 附设普通初中班, "
        "341 完全中学, 345 十二年一贯制学校, 511 盲人学校, 512 聋人学校, 513 弱智学校, "
        "514 其他特殊教育学校, 519 附设特教班); stored as the code. Must agree with `levels`.",
        examples=["211"],
    ),
]
UrbanRural = Annotated[
    UrbanRuralCode,
    Field(
        description="城乡分类代码 of the school's location (国家统计局, 国函〔2008〕60号) or "
        "its label: 111 主城区, 112 城乡结合区, 121 镇中心区, 122 镇乡结合区, 123 特殊区域, "
        "210 乡中心区, 220 村庄; stored as the code",
        examples=["111"],
    ),
]
DivisionCode = Annotated[
    StatisticalDivisionCode,
    Field(
        description="统计用区划代码 of the school's location: 12 digits, starting with its "
        "county_code",
        examples=["150602001001"],
    ),
]
OwnershipField = Annotated[
    OwnershipCode,
    Field(description="办学性质: public (公办) or private (民办); either word is accepted"),
]


class Location(BaseModel):
    """WGS 84 position of the main campus; checked against China's extent."""

    model_config = ConfigDict(extra="forbid")
    longitude: Annotated[float, Public] = Field(ge=73.0, le=135.5, examples=[109.99])
    latitude: Annotated[float, Public] = Field(ge=3.5, le=53.6, examples=[39.82])


def _unique(levels: list[str] | None) -> None:
    if levels is not None and len(set(levels)) != len(levels):
        raise RuleError("levels_unique", t("同一学段被列出两次", "a level is listed twice"))


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
                    "school_type": "211",
                    "urban_rural_code": "111",
                    "division_code": "150602001001",
                    "ownership": "public",
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
    school_type: SchoolType | None = None
    urban_rural_code: UrbanRural | None = None
    division_code: DivisionCode | None = None
    ownership: OwnershipField | None = None

    @model_validator(mode="after")
    def _levels_unique(self) -> Self:
        _unique(list(self.levels))
        return self


class SchoolUpdate(BaseModel):
    """Fields to change; the school code never changes. A national code sent as null is
    removed from the registry entry."""

    model_config = ConfigDict(extra="forbid")

    name: SchoolName | None = None
    levels: Levels | None = None
    county_code: CountyCode | None = None
    location: Location | None = None
    planned_capacity: Capacity | None = None
    school_type: SchoolType | None = None
    urban_rural_code: UrbanRural | None = None
    division_code: DivisionCode | None = None
    ownership: OwnershipField | None = None

    @field_validator("name", "levels", "county_code", "location", "planned_capacity")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # a field left out stays as it is; an explicit null would blank a required column
        if value is None:
            raise RuleError(
                "not_nullable",
                t("请给出一个值，或不填此字段", "give a value or leave the field out"),
            )
        return value

    @model_validator(mode="after")
    def _levels_unique(self) -> Self:
        _unique(list(self.levels) if self.levels is not None else None)
        return self


class SchoolRead(BaseModel):
    school_code: Annotated[str, Public]
    name: Annotated[str, Public]
    levels: Annotated[list[SchoolLevel], Public]
    county_code: Annotated[str, Public]
    location: Annotated[Location, Public]
    planned_capacity: Annotated[int, Public]
    school_type: Annotated[str | None, Public] = Field(
        description="办学类型 code; null = not recorded"
    )
    school_type_label: Annotated[str | None, Public] = Field(
        description="办学类型 in words (九年一贯制学校)"
    )
    urban_rural_code: Annotated[str | None, Public] = Field(
        description="城乡分类代码; null = not recorded"
    )
    urban_rural_label: Annotated[str | None, Public] = Field(description="城乡分类 in words (村庄)")
    division_code: Annotated[str | None, Public] = Field(description="统计用区划代码 (12 digits)")
    ownership: Annotated[Ownership | None, Public] = Field(
        description="public 公办 | private 民办; null = not recorded"
    )
    ownership_label: Annotated[str | None, Public] = Field(description="公办 | 民办")
    version: int
    created_at: datetime
    updated_at: datetime


class SchoolPage(BaseModel):
    items: list[SchoolRead]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )


# ---- 民办在校生占比 (issue 19; seed 000) ---------------------------------------------------------


class PrivateShareCapCreate(BaseModel):
    """A county's cap on the private share of its compulsory-education pupils, from its own
    document (no official value exists: domain.md §2.4)."""

    model_config = ConfigDict(extra="forbid")

    cap: Decimal = Field(
        gt=0,
        le=1,
        max_digits=5,
        decimal_places=4,
        description="the largest private share allowed (不超过): 0.15 = 15%",
        examples=["0.15"],
    )
    effective_from: date
    effective_to: date | None = Field(None, description="exclusive; null = until changed")
    source: str = Field(
        min_length=2, max_length=500, description="the county's document that sets the cap"
    )

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


class PrivateShareCapRead(BaseModel):
    id: int
    county_code: str
    cap: Decimal
    effective_from: date
    effective_to: date | None
    source: str
    set_by: str
    set_at: datetime


class PrivateShareCapList(BaseModel):
    items: list[PrivateShareCapRead] = Field(description="as set, oldest first")


class PupilCounts(BaseModel):
    public: int = Field(description="at 公办 schools")
    private: int = Field(description="at 民办 schools")
    unrecorded: int = Field(description="at schools whose 办学性质 the registry does not hold")
    total: int


class PrivateShareRead(BaseModel):
    county_code: str
    year: int = Field(description="school year by its start year")
    basis: str = Field(description="which figures the counts are")
    pupils: PupilCounts
    by_level: dict[Literal["primary", "junior"], PupilCounts]
    private_share: Decimal | None = Field(
        description="private ÷ total, 4 places (compared unrounded); null without pupils"
    )
    private_share_max: Decimal | None = Field(
        description="(private + unrecorded) ÷ total: the share if every unrecorded school were 民办"
    )
    cap: PrivateShareCapRead | None = Field(
        description="the county's cap in force on 1 September of the year; null = none set"
    )
    cap_status: Literal["no_pupils", "no_cap", "within", "over", "undetermined"] = Field(
        description="within: the share does not exceed the cap (≤); undetermined: schools of "
        "unrecorded 办学性质 decide"
    )
    note: str
