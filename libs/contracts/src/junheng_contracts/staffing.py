"""Events the staffing service publishes (stream STAFFING ← `staffing.>`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from junheng_contracts.classification import Personal, Public, stamp_default
from junheng_contracts.envelope import CloudEvent, EventData


class SectionTeacherStats(BaseModel):
    """One school section's teacher counts behind evaluation indicators 1–3 (domain.md §5.2).

    Counted over active 专任教师 in post at the school (借调 out of the school excluded), by the
    section (学段) they teach in: a nine-year school reports a primary and a junior section.
    """

    model_config = ConfigDict(frozen=True, json_schema_extra=stamp_default)

    level: Literal["primary", "junior"]
    full_time_teachers: Annotated[int, Public] = Field(ge=0, description="专任教师 in post")
    teachers_above_required_degree: Annotated[int, Public] = Field(
        ge=0, description="高于规定学历: primary 专科 and above, junior 本科 and above"
    )
    backbone_teachers: Annotated[int, Public] = Field(ge=0, description="县级及以上骨干教师")
    pe_arts_teachers: Annotated[int, Public] = Field(ge=0, description="专职体育、音乐、美术教师")
    teachers_counted_for_training: int | None = Field(
        None,
        ge=0,
        description="专任教师 in post counted for 教师5年360学时 (政府保障程度第9项); null: no "
        "training requirement was in force on `as_of`, nothing was counted",
    )
    teachers_meeting_training_hours: int | None = Field(
        None,
        ge=0,
        description="of those, the teachers with at least `training_requirement.required_hours` "
        "学时 completed in the window the requirement names",
    )


class TrainingRequirement(BaseModel):
    """教师培训学时要求 the training counts of a school were measured against.

    A teacher meets it with at least `required_hours` 学时 of training completed from
    `window_from` to the event's `as_of`, both included (`window_years` years).
    """

    model_config = ConfigDict(frozen=True, json_schema_extra=stamp_default)

    required_hours: int = Field(ge=1, description="学时 required in the window, e.g. 360")
    window_years: int = Field(ge=1, description="years of the window, e.g. 5")
    window_from: date = Field(description="first day of the window; it ends on `as_of`")
    source: str = Field(description="the policy row's citation")


class SchoolTeacherStatsData(EventData):
    """学校师资统计: the full current teacher counts of one school after a change."""

    school_code: str = Field(pattern=r"^\d{10}$", description="学校标识码, 10 digits")
    county_code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 county code")
    as_of: date = Field(description="the registry date the counts describe")
    sections: list[SectionTeacherStats]
    version: int = Field(description="per-school counter; consumers skip stale events")
    training_requirement: TrainingRequirement | None = Field(
        None,
        description="the requirement the sections' training counts used; null when none was "
        "in force (then the sections carry no training counts)",
    )


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
    main_subject: Annotated[str | None, Personal] = None
    title: Annotated[str | None, Personal] = None
    degree: Annotated[str, Personal]
    backbone_level: Annotated[str | None, Personal] = None
    staffing_status: Literal["in_quota", "seconded", "temporary"]
    status: Literal["active", "retired", "left"]
    school_joined_on: Annotated[date, Personal]
    version: int = Field(description="teacher version; consumers skip stale events")
    leadership_post: Literal["principal", "vice_principal"] | None = Field(
        None, description="校级领导职务: 校长 / 副校长; null = none"
    )
    teacher_qualification_type: Annotated[
        Literal[
            "kindergarten",
            "primary_school",
            "junior_secondary",
            "senior_secondary",
            "secondary_vocational_school",
            "vocational_practice_instructor",
            "higher_education",
        ]
        | None,
        Personal,
    ] = Field(
        None,
        description="教师资格 kind (教师资格条例 Art. 4); null = none recorded. The certificate "
        "number is not published",
    )
    teacher_qualification_subject: Annotated[str | None, Personal] = Field(
        None, description="任教学科 on the 教师资格证 (a staffing subject code)"
    )


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


class QuotaApprovedData(EventData):
    """编制核定: one school's approved posts after a ledger entry (approval, adjustment, 统筹)."""

    entry_id: str = Field(description="quota ledger entry id (UUID)")
    school_code: str = Field(pattern=r"^\d{10}$", description="学校标识码, 10 digits")
    county_code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 county code")
    year: int = Field(description="school year from which the posts apply: 2025 = 2025—2026学年")
    approved_posts: int = Field(ge=0, description="核定编制 after this entry")
    change: int = Field(description="posts added (negative: removed) by this entry")
    kind: Literal["approval", "adjustment", "pooling"]
    reason: str
    reference: str | None = Field(None, description="the bureau's document number, if any")
    version: int = Field(description="per-school ledger sequence; consumers skip stale events")


class QuotaApproved(CloudEvent[QuotaApprovedData]):
    """编制核定: a school's approved staff posts were set or changed (append-only ledger)."""

    source: Literal["junheng/staffing"] = "junheng/staffing"
    type: Literal["staffing.quota.approved"] = "staffing.quota.approved"


class RotationPlanApprovedData(EventData):
    """交流轮岗方案批准: a county's rotation plan for a school year, as the bureau approved it."""

    plan_id: str = Field(description="rotation plan id (UUID)")
    county_code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 county code")
    year: int = Field(description="school year by its start year")
    eligible: int = Field(ge=0, description="teachers in the eligible pool")
    rotated: int = Field(ge=0, description="moves in the plan")
    backbone_rotated: int = Field(ge=0, description="骨干教师 among them")
    required_rotated: int = Field(ge=0, description="ceil(rotation_min_share × eligible)")
    required_backbone: int = Field(ge=0, description="ceil(backbone share × its denominator)")
    quota_rules_met: bool = Field(description="both share rules met without a justification")
    justification: str | None = Field(None, description="why the bureau approved a shortfall")
    receiving_schools: list[str] = Field(description="school codes receiving teachers")
    sending_schools: list[str] = Field(description="school codes sending teachers")


class RotationPlanApproved(CloudEvent[RotationPlanApprovedData]):
    """交流轮岗方案批准: the bureau approved a county's rotation plan."""

    source: Literal["junheng/staffing"] = "junheng/staffing"
    type: Literal["staffing.rotation_plan.approved"] = "staffing.rotation_plan.approved"


EVENTS: tuple[type[CloudEvent], ...] = (  # type: ignore[type-arg]
    SchoolTeacherStatsChanged,
    TeacherRegistered,
    TeacherMoved,
    QuotaApproved,
    RotationPlanApproved,
)
