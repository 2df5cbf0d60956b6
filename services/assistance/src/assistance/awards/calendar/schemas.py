"""The working calendar (工作日历) over HTTP."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


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
