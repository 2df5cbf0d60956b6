"""Events the staffing service publishes (stream STAFFING ← `staffing.>`)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from junheng_contracts.envelope import CloudEvent, EventData


class SectionTeacherStats(BaseModel):
    """One school section's teacher counts behind evaluation indicators 1–3 (domain.md §5.2).

    Counted over active 专任教师 in post at the school (借调 out of the school excluded), by the
    section (学段) they teach in: a nine-year school reports a primary and a junior section.
    """

    model_config = ConfigDict(frozen=True)

    level: Literal["primary", "junior"]
    full_time_teachers: int = Field(ge=0, description="专任教师 in post")
    teachers_above_required_degree: int = Field(
        ge=0, description="高于规定学历: primary 专科 and above, junior 本科 and above"
    )
    backbone_teachers: int = Field(ge=0, description="县级及以上骨干教师")
    pe_arts_teachers: int = Field(ge=0, description="专职体育、音乐、美术教师")


class SchoolTeacherStatsData(EventData):
    """学校师资统计: the full current teacher counts of one school after a change."""

    school_code: str = Field(pattern=r"^\d{10}$", description="学校标识码, 10 digits")
    county_code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 county code")
    as_of: date = Field(description="the registry date the counts describe")
    sections: list[SectionTeacherStats]
    version: int = Field(description="per-school counter; consumers skip stale events")


class SchoolTeacherStatsChanged(CloudEvent[SchoolTeacherStatsData]):
    """学校师资统计变更: a school's teacher counts for the evaluation indicators changed."""

    source: Literal["junheng/staffing"] = "junheng/staffing"
    type: Literal["staffing.school_teacher_stats.changed"] = "staffing.school_teacher_stats.changed"


class TeacherData(EventData):
    """教师登记信息: a teacher's posting and the attributes the indicators use.

    Never the citizen ID or the name: `teacher_id` is the registry's id.
    """

    teacher_id: str = Field(description="registry id (UUID), not the citizen ID")
    school_code: str = Field(pattern=r"^\d{10}$", description="学校标识码 of the current school")
    county_code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 county code")
    section: Literal["primary", "junior"]
    post_type: Literal["full_time", "auxiliary", "support"]
    main_subject: str | None = None
    title: str | None = None
    degree: str
    backbone_level: str | None = None
    staffing_status: Literal["in_quota", "seconded", "temporary"]
    status: Literal["active", "retired", "left"]
    school_joined_on: date
    version: int = Field(description="teacher version; consumers skip stale events")


class TeacherRegistered(CloudEvent[TeacherData]):
    """教师登记: a teacher entered the registry (by the API or an import)."""

    source: Literal["junheng/staffing"] = "junheng/staffing"
    type: Literal["staffing.teacher.registered"] = "staffing.teacher.registered"


class TeacherMovedData(EventData):
    """教师调动: a teacher's posting moved to another school (the history keeps both)."""

    teacher_id: str = Field(description="registry id (UUID), not the citizen ID")
    from_school_code: str = Field(pattern=r"^\d{10}$")
    from_county_code: str = Field(pattern=r"^\d{6}$")
    to_school_code: str = Field(pattern=r"^\d{10}$")
    to_county_code: str = Field(pattern=r"^\d{6}$")
    section: Literal["primary", "junior"] = Field(description="学段 taught at the new school")
    moved_on: date
    reason: str
    plan_reference: str | None = Field(None, description="e.g. the rotation plan's id")
    version: int = Field(description="teacher version; consumers skip stale events")


class TeacherMoved(CloudEvent[TeacherMovedData]):
    """教师调动: a teacher moved between schools."""

    source: Literal["junheng/staffing"] = "junheng/staffing"
    type: Literal["staffing.teacher.moved"] = "staffing.teacher.moved"


EVENTS: tuple[type[CloudEvent], ...] = (  # type: ignore[type-arg]
    SchoolTeacherStatsChanged,
    TeacherRegistered,
    TeacherMoved,
)
