"""公示 objections over HTTP."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


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
