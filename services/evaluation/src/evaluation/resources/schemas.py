from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from evaluation.assessment.schemas import ResourceSectionIn
from evaluation.teachers.rules import StaffingCounts


class ResourcesPut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schools: list[ResourceSectionIn] = Field(min_length=1, max_length=20_000)


class TeacherCountsInUse(BaseModel):
    """A section whose indicator 1–3 counts come from staffing's events, not the upload."""

    school_code: str
    level: Literal["primary", "junior"]
    teachers_above_required_degree: int
    backbone_teachers: int
    pe_arts_teachers: int
    source: str = Field(description='"staffing event <id> v<version> at <time>"')

    @classmethod
    def of(cls, counts: StaffingCounts) -> Self:
        return cls.model_validate(
            {
                "school_code": counts.school_code,
                "level": counts.level,
                "teachers_above_required_degree": counts.teachers_above_required_degree,
                "backbone_teachers": counts.backbone_teachers,
                "pe_arts_teachers": counts.pe_arts_teachers,
                "source": counts.source,
            }
        )


class ResourceSetRead(BaseModel):
    """A county's resource data for one school year, and where it came from."""

    county_code: str
    year: int
    source: Literal["api", "csv", "xlsx"]
    sections: int
    content_sha256: str
    imported_by: str
    imported_at: datetime
    schools: list[ResourceSectionIn] | None = Field(
        None, description="the sections (GET only; omitted in import answers)"
    )
    upload_source: str | None = Field(
        None, description='GET only: how assessments cite this upload, "upload <content_sha256>"'
    )
    teacher_counts_from_staffing: list[TeacherCountsInUse] | None = Field(
        None,
        description="GET only: the sections whose indicator 1–3 counts an assessment from stored "
        "data takes from staffing's events instead of `schools` (every other number: the upload)",
    )
