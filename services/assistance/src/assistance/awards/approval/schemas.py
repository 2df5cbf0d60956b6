"""County approval (县级审批) over HTTP."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class AwardApproval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approved_on: date | None = Field(None, description="default: today (China)")
    note: str = Field("", max_length=500)
