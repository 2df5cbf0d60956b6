from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class SectionTeacherStatsRead(BaseModel):
    level: Literal["primary", "junior"]
    full_time_teachers: int = Field(description="专任教师 in post")
    teachers_above_required_degree: int = Field(description="高于规定学历 (indicator 1)")
    backbone_teachers: int = Field(description="县级及以上骨干教师 (indicator 2)")
    pe_arts_teachers: int = Field(description="专职体育、音乐、美术教师 (indicator 3)")


class TeacherStatsRead(BaseModel):
    """A school's teacher counts as staffing last reported them (local read model)."""

    school_code: str
    county_code: str
    as_of: date = Field(description="the registry date the counts describe")
    version: int = Field(description="staffing's per-school version this copy reflects")
    source_event_id: str = Field(description="the staffing event the counts came from")
    event_time: datetime = Field(description="when staffing published that event")
    synced_at: datetime
    source: str = Field(description='as recorded in assessments: "staffing event <id> v<n> at …"')
    sections: list[SectionTeacherStatsRead]
