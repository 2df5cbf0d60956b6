"""The class-data API contract (班级学生数 and the 班额 measured on it)."""

from datetime import datetime
from decimal import Decimal
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from evaluation.classes.rules import LevelTotals, SectionClasses
from junheng_kit.identifiers import SchoolCode

Level = Literal["primary", "junior"]

_CLASS_EXAMPLE: dict[str, JsonValue] = {
    "school_code": "2115060001",
    "level": "primary",
    "grade": 3,
    "name": "3班",
    "pupils": 44,
}


class ClassIn(BaseModel):
    """One class (班级) on roll this school year."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CLASS_EXAMPLE]})

    school_code: SchoolCode
    level: Level
    grade: int = Field(
        ge=1,
        le=9,
        description="年级 on the nine-year scale: primary 1–6, junior 7–9 (五四制: junior 6–9)",
    )
    name: str = Field(min_length=1, max_length=30, description="班级 as the school names it")
    pupils: int = Field(gt=0, le=200, description="班级学生数: pupils on roll in the class")


class SchoolClassIn(BaseModel):
    """One class of the school the path names."""

    model_config = ConfigDict(extra="forbid")

    level: Level
    grade: int = Field(ge=1, le=9, description="年级: primary 1–6, junior 7–9 (五四制 6–9)")
    name: str = Field(min_length=1, max_length=30)
    pupils: int = Field(gt=0, le=200, description="班级学生数")


class ClassesPut(BaseModel):
    """Every class of the county's sections this school year, replacing the stored set."""

    model_config = ConfigDict(extra="forbid")
    classes: list[ClassIn] = Field(min_length=1, max_length=200_000)


class SchoolClassesPut(BaseModel):
    """Every class of one school this school year, replacing that school's stored classes."""

    model_config = ConfigDict(extra="forbid")
    classes: list[SchoolClassIn] = Field(min_length=1, max_length=1_000)


class OverCapClassRead(BaseModel):
    grade: int
    name: str
    pupils: int


class SectionClassesRead(BaseModel):
    """One school section's classes against its level's 班额 cap."""

    school_code: str
    level: Level
    special_education: bool = Field(
        description="特殊教育学校: on record, not judged against the ordinary caps"
    )
    classes: int
    pupils: int
    largest_class: int
    cap: Decimal = Field(description="班额 cap of the level (catalogue): primary 45, junior 50")
    met: bool = Field(description="no class over the cap (always true when not judged)")
    over_cap: list[OverCapClassRead] = Field(description="the classes over the cap, largest first")
    large_classes: int = Field(description="大班额: classes of 56 pupils or more")
    extra_large_classes: int = Field(description="超大班额: classes of 66 pupils or more")
    pupils_over: int = Field(description="Σ (pupils − cap) over the classes over the cap")

    @classmethod
    def of(cls, section: SectionClasses) -> Self:
        return cls(
            school_code=section.school_code,
            level=section.level,
            special_education=section.special_education,
            classes=section.classes,
            pupils=section.pupils,
            largest_class=section.largest_class,
            cap=section.cap,
            met=section.met or not section.judged,
            over_cap=[
                OverCapClassRead(grade=c.grade, name=c.name, pupils=c.pupils)
                for c in section.over_cap
            ],
            large_classes=section.large_classes,
            extra_large_classes=section.extra_large_classes,
            pupils_over=section.pupils_over,
        )


class LevelTotalsRead(BaseModel):
    """A level's judged classes in the county: how many over the cap, 大班额 and 超大班额."""

    level: Level
    sections: int
    classes: int
    over_cap_classes: int
    large_classes: int
    large_share: Decimal = Field(description="大班额 ÷ classes")
    extra_large_classes: int
    extra_large_share: Decimal = Field(description="超大班额 ÷ classes")

    @classmethod
    def of(cls, totals: LevelTotals) -> Self:
        return cls(
            level=totals.level,
            sections=totals.sections,
            classes=totals.classes,
            over_cap_classes=totals.over_cap_classes,
            large_classes=totals.large_classes,
            large_share=round(totals.share(totals.large_classes), 4),
            extra_large_classes=totals.extra_large_classes,
            extra_large_share=round(totals.share(totals.extra_large_classes), 4),
        )


class ClassImportRead(BaseModel):
    """An upload of class data and where it came from."""

    county_code: str
    year: int
    version: int = Field(description="per county and year, as `evaluation.class_sizes.changed`")
    source: Literal["api", "csv", "xlsx"]
    school_code: str | None = Field(description="the one school replaced, or null: the county")
    classes: int = Field(description="classes in this upload")
    content_sha256: str
    imported_by: str
    imported_at: datetime


class ClassSizesRead(BaseModel):
    """A county-year's classes (班级学生数) and the 班额 the verdict measures on them
    (government-assurance item 5)."""

    county_code: str
    year: int
    catalogue_version: str = Field(description="the verdict catalogue whose caps apply")
    caps: dict[str, Decimal] = Field(description="班额 cap per level")
    bands: dict[str, int] = Field(description="大班额 / 超大班额 from this many pupils")
    bands_source: str
    measured: dict[str, Decimal] = Field(description="largest judged class per level")
    totals: list[LevelTotalsRead]
    sections: list[SectionClassesRead]
    latest_import: ClassImportRead
    classes: list[ClassIn] | None = Field(
        None, description="every class on record (with `?include=classes`)"
    )
