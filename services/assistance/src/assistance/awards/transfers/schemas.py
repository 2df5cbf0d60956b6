"""异地转学 over HTTP."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from junheng_kit.identifiers import CountyCode, SchoolCode


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
