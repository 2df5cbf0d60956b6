from datetime import datetime
from decimal import Decimal
from typing import Literal, Self

from pydantic import BaseModel, Field

from evaluation.seats.rules import SectionOverCap


class SectionOverCapRead(BaseModel):
    school_code: str
    level: Literal["primary", "junior"]
    planned_classes: int
    seats: int
    largest_class: int
    cap: Decimal
    classes_missing: int = Field(description="ceil(seats ÷ cap) − planned classes")
    pupils_over: int = Field(description="seats − planned classes × cap")
    source: str = Field(description='"enrollment seats event <id> v<n> at <time>"')

    @classmethod
    def of(cls, section: SectionOverCap) -> Self:
        return cls(
            school_code=section.school_code,
            level=section.level,
            planned_classes=section.planned_classes,
            seats=section.seats,
            largest_class=section.largest_class,
            cap=section.cap,
            classes_missing=section.classes_missing,
            pupils_over=section.pupils_over,
            source=section.source,
        )


class SeatPlanRead(BaseModel):
    school_code: str
    level: Literal["primary", "junior"]
    grade: int = Field(description="entry grade: 1 or 7")
    planned_classes: int
    class_cap: int = Field(description="the 班额 cap enrollment planned with")
    seats: int
    largest_class: int | None = Field(description="ceil(seats ÷ classes); null without classes")
    version: int
    source: str
    synced_at: datetime


class SeatPlansRead(BaseModel):
    """A county-year's seat plans (read model of `enrollment.school_seats.changed`) and the
    entry classes they plan against the 班额 cap (a planning view; the verdict judges item 5 on
    the real classes)."""

    county_code: str
    year: int
    catalogue_version: str = Field(description="the verdict catalogue whose caps apply")
    caps: dict[str, Decimal] = Field(description="班额 cap per level from the catalogue")
    measured: dict[str, Decimal] = Field(description="largest planned class per level")
    over_cap: list[SectionOverCapRead]
    plans: list[SeatPlanRead]
