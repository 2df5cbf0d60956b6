from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from evaluation.teachers.rules import TrainingCounts


class SectionTeacherStatsRead(BaseModel):
    level: Literal["primary", "junior"]
    full_time_teachers: int = Field(description="专任教师 in post")
    teachers_above_required_degree: int = Field(description="高于规定学历 (indicator 1)")
    backbone_teachers: int = Field(description="县级及以上骨干教师 (indicator 2)")
    pe_arts_teachers: int = Field(description="专职体育、音乐、美术教师 (indicator 3)")
    teachers_counted_for_training: int | None = Field(
        None, description="专任教师 in post counted for 教师5年360学时; null: not counted"
    )
    teachers_meeting_training_hours: int | None = Field(
        None, description="of them, with the required 学时 in the window"
    )


class TrainingRequirementRead(BaseModel):
    """The requirement staffing counted the training hours against."""

    required_hours: int
    window_years: int
    window_from: date = Field(description="the window's first day; it ends on `as_of`")
    source: str = Field(description="the policy rows' citation, as staffing sent it")


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
    training_requirement: TrainingRequirementRead | None = Field(
        None, description="null: the event carried no training counts"
    )


class TrainingSectionRead(BaseModel):
    """One section's 教师5年360学时 counts as the verdict used them, with their event."""

    school_code: str
    level: Literal["primary", "junior"]
    teachers_counted: int = Field(description="专任教师 in post")
    teachers_meeting_training_hours: int
    required_hours: int
    window_from: date
    as_of: date = Field(description="the window's last day: the registry date counted")
    source: str = Field(description='"staffing event <id> v<n> at …"')

    @classmethod
    def of(cls, counts: TrainingCounts) -> "TrainingSectionRead":
        return cls(
            school_code=counts.school_code,
            level=counts.level,
            teachers_counted=counts.counted,
            teachers_meeting_training_hours=counts.meeting,
            required_hours=counts.required_hours,
            window_from=counts.window_from,
            as_of=counts.as_of,
            source=counts.source,
        )
