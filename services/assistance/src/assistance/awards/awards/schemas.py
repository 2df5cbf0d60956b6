"""Awards over HTTP. Money is yuan as a decimal string ("625.00")."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistance.categories import CATEGORIES
from junheng_kit.classification import Sensitive
from junheng_kit.i18n import RuleError, t

Money = Decimal
PII = "assistance:pii"  # the scope that shows names, citizen IDs and categories


def check_category(value: str | None) -> str | None:
    if value is not None and value not in CATEGORIES:
        raise RuleError(
            "category_known",
            t(
                f"{value} 不是以下之一：{', '.join(CATEGORIES)}",
                f"{value} is not one of {', '.join(CATEGORIES)}",
            ),
        )
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


class AwardRead(BaseModel):
    id: UUID
    student_id: UUID
    student_name: Annotated[str, Sensitive] = Field(
        description="masked (张*) without the assistance:pii scope"
    )
    citizen_id: Annotated[str, Sensitive] = Field(
        description="masked (150602********123X) without assistance:pii"
    )
    county_code: str
    school_code: str
    programme_code: str
    school_year: int
    category: Annotated[str | None, Sensitive] = Field(description="only with assistance:pii")
    priority: Annotated[bool | None, Sensitive] = Field(
        description="served first when the programme's places or funds are limited: an agency "
        "lists the pupil in one of its priority_categories (set by each 应助尽助 job); only "
        "with assistance:pii"
    )
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
