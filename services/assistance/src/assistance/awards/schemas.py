"""Award workflow over HTTP. Money is yuan as a decimal string ("625.00")."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assistance.categories import CATEGORIES
from junheng_kit.identifiers import CountyCode, SchoolCode

Money = Decimal


def check_category(value: str | None) -> str | None:
    if value is not None and value not in CATEGORIES:
        raise ValueError(f"category_known: {value} is not one of {', '.join(CATEGORIES)}")
    return value


class AwardCreate(BaseModel):
    """A school's application for a student (on the family's behalf)."""

    model_config = ConfigDict(extra="forbid")

    student_id: UUID
    programme_code: str = Field(min_length=1, max_length=40, examples=["living_subsidy"])
    school_year: int = Field(ge=2000, le=2100, description="start year: 2026 = 2026—2027学年")
    category: str | None = Field(
        None, description="agency category the school relies on; null for evidence it reviews"
    )
    tier: str | None = Field(None, description="差异化 tier; default the standard's highest")
    amount_yuan: Money = Field(ge=0, max_digits=12, decimal_places=2, examples=["625.00"])
    reason: str = Field("", max_length=500)

    _category = field_validator("category")(check_category)


class AwardReview(BaseModel):
    """学校评议: the school panel's result."""

    model_config = ConfigDict(extra="forbid")

    result: Literal["approved", "rejected"]
    reviewer: str = Field(min_length=1, max_length=100)
    panel: list[str] = Field(min_length=1, max_length=20, description="评议小组 members")
    reasons: str = Field(min_length=1, max_length=500)
    tier: str | None = Field(None, description="the panel's tier (amount recomputed from it)")


class AwardApproval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approved_on: date | None = Field(None, description="default: today (China)")
    note: str = Field("", max_length=500)


class AwardRead(BaseModel):
    id: UUID
    student_id: UUID
    student_name: str = Field(description="masked (张*) without the assistance:pii scope")
    citizen_id: str = Field(description="masked (150602********123X) without assistance:pii")
    county_code: str
    school_code: str
    programme_code: str
    school_year: int
    category: str | None = Field(description="only with assistance:pii")
    tier: str | None
    level: str
    boarding: bool
    amount_yuan: Money
    paid_yuan: Money
    standard_id: UUID
    source: str
    evidence: list[str]
    status: str
    publicity_batch_id: UUID | None
    review: dict[str, Any] | None
    approved_on: date | None
    approved_by: str | None
    created_by: str
    version: int
    created_at: datetime


class AwardPage(BaseModel):
    items: list[AwardRead]
    next_cursor: str | None = None


class HistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    actor: str
    reason: str
    at: datetime


class HistoryList(BaseModel):
    items: list[HistoryRead]


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
            raise ValueError("publicity_within_a_year: a 公示 runs for days, not years")
        return self


class PublicityBatchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    county_code: str
    school_code: str | None
    starts_on: date
    ends_on: date
    working_days: int
    calendar_note: str | None = Field(description="warning when a year has no official calendar")
    awards: int = 0
    created_by: str
    created_at: datetime


class PublicEntry(BaseModel):
    """One line of the public 公示 list: minimised, whatever the caller's scopes."""

    student_name: str = Field(examples=["张*"])
    citizen_id: str = Field(examples=["150602********123X"])
    school_code: str
    programme_code: str
    programme_name: str
    tier: str | None
    category: str | None = Field(description="only where the programme allows it")
    amount_yuan: Money


class PublicList(BaseModel):
    batch_id: UUID
    starts_on: date
    ends_on: date
    objections_to: str = Field(description="where objections go during 公示")
    items: list[PublicEntry]


class ObjectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    award_id: UUID
    received_on: date
    summary: str = Field(min_length=1, max_length=1000)


class ObjectionResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["upheld", "dismissed"] = Field(description="upheld: the award is rejected")
    resolution: str = Field(min_length=1, max_length=1000)


class ObjectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    batch_id: UUID
    award_id: UUID
    received_on: date
    summary: str
    status: str
    resolution: str | None
    recorded_by: str
    resolved_by: str | None
    created_at: datetime


class ObjectionList(BaseModel):
    items: list[ObjectionRead]


class DisbursementLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    award_id: UUID
    amount_yuan: Money = Field(gt=0, max_digits=12, decimal_places=2)


class DisbursementCreate(BaseModel):
    """资金发放: one batch of payments (date, channel), each ≤ what the award has left."""

    model_config = ConfigDict(extra="forbid")

    county_code: CountyCode
    paid_on: date
    channel: Literal["social_security_card", "bank_card", "cash", "other"] = Field(
        description="社保卡 / 银行卡 / 现金 / other"
    )
    reference: str | None = Field(None, max_length=100, description="bank batch number etc.")
    items: list[DisbursementLine] = Field(min_length=1, max_length=10_000)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        ids = [i.award_id for i in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("award_once_per_batch: an award appears twice in the batch")
        return self


class DisbursementItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    award_id: UUID
    amount_yuan: Money


class DisbursementRead(BaseModel):
    id: UUID
    county_code: str
    paid_on: date
    channel: str
    reference: str | None
    total_yuan: Money
    recorded_by: str
    created_at: datetime
    items: list[DisbursementItemRead]


class NoticeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    student_id: UUID
    award_id: UUID | None
    county_code: str
    category: str | None = Field(description="only with assistance:pii")
    change: str
    agency: str
    detected_on: date
    grace_until: date
    status: str
    appeal: str | None
    outcome: str | None
    resolution: str | None
    raised_by: str
    created_at: datetime


class NoticeList(BaseModel):
    items: list[NoticeRead]


class NoticeAppeal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000)


class NoticeResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["appeal_upheld", "appeal_rejected"]
    resolution: str = Field(min_length=1, max_length=1000)


class TransferCreate(BaseModel):
    """异地转学: the student moves; the award history stays linked."""

    model_config = ConfigDict(extra="forbid")

    to_county_code: CountyCode
    to_school_code: SchoolCode
    on: date


class TransferRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    student_id: UUID
    from_county_code: str
    from_school_code: str
    to_county_code: str
    to_school_code: str
    transferred_on: date
    recorded_by: str
    created_at: datetime


class TransferList(BaseModel):
    items: list[TransferRead]


class CalendarPut(BaseModel):
    """工作日历 of one year as the State Council published it."""

    model_config = ConfigDict(extra="forbid")

    holidays: list[date] = Field(description="days off (法定节假日 and the days joined to them)")
    working_days: list[date] = Field(default_factory=list, description="调休: weekend days worked")
    source: str = Field(min_length=1, max_length=300, examples=["国办发明电〔2024〕12号"])


class CalendarRead(BaseModel):
    year: int
    holidays: list[date]
    working_days: list[date]
    source: str
    version: int
    changed_by: str
    updated_at: datetime
