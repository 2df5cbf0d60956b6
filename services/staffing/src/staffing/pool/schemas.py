"""编制周转池 API shapes."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from junheng_kit.identifiers import SchoolCode


class QuotaLoanCreate(BaseModel):
    """借用周转编制: posts lent to a school for an urgent need, with the date they are due back."""

    model_config = ConfigDict(extra="forbid")

    school_code: SchoolCode
    posts: int = Field(gt=0, le=1000, description="posts lent")
    reason: str = Field(min_length=1, max_length=500, examples=["二孩产假集中，临时补充编制"])
    reference: str | None = Field(None, max_length=100, description="the decision's document no.")
    lent_on: date
    due_on: date = Field(description="归还期限: the date the posts are due back")


class QuotaLoanReturn(BaseModel):
    """归还周转编制."""

    model_config = ConfigDict(extra="forbid")

    returned_on: date


class QuotaLoanRead(BaseModel):
    id: UUID
    county_code: str
    school_code: str
    posts: int
    reason: str
    reference: str | None
    lent_on: date
    due_on: date
    returned_on: date | None
    lent_by: str
    returned_by: str | None
    created_at: datetime
    version: int
    is_overdue: bool = Field(description="past due_on on the `on` date and not returned by then")


class QuotaPoolRead(BaseModel):
    county_code: str
    on: date
    pool_posts: int | None = Field(description="quota_turnover_pool_posts in force; null = none")
    lent: int = Field(description="posts out on loans not returned by `on`")
    available: int | None
    overdue: int = Field(description="loans overdue on `on`")
    loans: list[QuotaLoanRead]
