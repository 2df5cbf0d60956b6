"""公示 over HTTP: batches and the public list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistance.awards.awards.schemas import Money
from junheng_kit.classification import Sensitive
from junheng_kit.i18n import RuleError, t
from junheng_kit.identifiers import CountyCode, SchoolCode


class PublicityBatchCreate(BaseModel):
    """公示: reviewed awards of a school (or the county) for ≥ the minimum working days."""

    model_config = ConfigDict(extra="forbid")

    county_code: CountyCode
    school_code: SchoolCode | None = None
    starts_on: date
    ends_on: date | None = Field(None, description="default: the earliest allowed end")
    award_ids: list[UUID] | None = Field(
        None, description="default: every reviewed award of the school/county not yet shown"
    )

    @model_validator(mode="after")
    def _period_within_a_year(self) -> Self:
        if self.ends_on is not None and (self.ends_on - self.starts_on).days > 366:
            raise RuleError(
                "publicity_within_a_year",
                t("公示以天计，不能跨年", "a 公示 (public notice) runs for days, not years"),
            )
        return self


class PublicityBatchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    county_code: str
    school_code: str | None
    starts_on: date
    ends_on: date
    working_days: int
    calendar_note: str | None = Field(
        description="on batches recorded before a calendar was required: the warning that a "
        "year had none (weekends only); null since"
    )
    awards: int = 0
    created_by: str
    created_at: datetime


class PublicEntry(BaseModel):
    """One line of the public 公示 list: minimised, whatever the caller's scopes."""

    student_name: Annotated[str, Sensitive] = Field(examples=["张*"])
    citizen_id: Annotated[str, Sensitive] = Field(examples=["150602********123X"])
    school_code: str
    programme_code: str
    programme_name: str
    tier: str | None
    category: Annotated[str | None, Sensitive] = Field(
        description="only where the programme allows it"
    )
    amount_yuan: Money


class PublicList(BaseModel):
    batch_id: UUID
    starts_on: date
    ends_on: date
    objections_to: str = Field(description="where objections go during 公示")
    items: list[PublicEntry]
