"""Status notices (资格变动) over HTTP."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from junheng_kit.classification import Sensitive


class NoticeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    student_id: UUID
    award_id: UUID | None
    county_code: str
    category: Annotated[str | None, Sensitive] = Field(description="only with assistance:pii")
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
