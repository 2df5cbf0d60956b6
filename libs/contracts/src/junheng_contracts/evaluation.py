"""Events the evaluation service publishes (stream EVALUATION ← `evaluation.>`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from junheng_contracts.classification import stamp_default
from junheng_contracts.envelope import CloudEvent, EventData


class FailingSection(BaseModel):
    model_config = ConfigDict(frozen=True, json_schema_extra=stamp_default)
    school_code: str
    level: Literal["primary", "junior"]


class FailingCv(BaseModel):
    model_config = ConfigDict(frozen=True, json_schema_extra=stamp_default)
    level: Literal["primary", "junior"]
    indicator: str


class AssessmentCompletedData(EventData):
    """县域资源配置评估完成: one county and year assessed against the indicator catalogue."""

    assessment_id: str
    county_code: str = Field(pattern=r"^\d{6}$")
    year: int = Field(description="school year by its start year: 2025 = 2025—2026学年")
    catalogue_version: str
    inputs_sha256: str
    resource_allocation_passed: bool
    failing_schools: list[FailingSection]
    failing_cv: list[FailingCv]


class AssessmentCompleted(CloudEvent[AssessmentCompletedData]):
    """评估完成: an assessment of a county's resource allocation was computed and stored."""

    source: Literal["junheng/evaluation"] = "junheng/evaluation"
    type: Literal["evaluation.assessment.completed"] = "evaluation.assessment.completed"


VerdictStatus = Literal["met", "not_met", "incomplete"]


class FailingCounts(BaseModel):
    """How many failing things the verdict lists per part (its `failing_items`, counted)."""

    model_config = ConfigDict(frozen=True, json_schema_extra=stamp_default)
    resource_allocation: int = Field(ge=0, description="unmet indicators of failing sections + CVs")
    government_assurance: int = Field(ge=0, description="unmet criteria or findings, 政府保障程度")
    education_quality: int = Field(ge=0, description="unmet criteria or findings, 教育质量")
    social_recognition: int = Field(ge=0)
    eligibility: int = Field(ge=0)
    vetoes: int = Field(ge=0, description="一票否决 found, including recognition below 85 %")


class VerdictChangedData(EventData):
    """县域认定结论变更: a county verdict's status or its set of failing items changed."""

    county_code: str = Field(pattern=r"^\d{6}$")
    year: int = Field(description="school year by its start year: 2025 = 2025—2026学年")
    catalogue_version: str
    status: VerdictStatus
    previous_status: VerdictStatus | None = Field(
        description="null when this is the county-year's first verdict"
    )
    failing: FailingCounts
    assessment_id: str | None = Field(description="the assessment the verdict used, if any")
    version: int = Field(description="per county and year; consumers skip stale events")


class VerdictChanged(CloudEvent[VerdictChangedData]):
    """认定结论变更: the county verdict changed status or failing items (no personal data)."""

    source: Literal["junheng/evaluation"] = "junheng/evaluation"
    type: Literal["evaluation.verdict.changed"] = "evaluation.verdict.changed"


class SectionClassSizes(BaseModel):
    """One school section's classes as the bureau reported them (no pupil is named)."""

    model_config = ConfigDict(frozen=True, json_schema_extra=stamp_default)
    school_code: str
    level: Literal["primary", "junior"]
    classes: int = Field(ge=1, description="班级数, every grade")
    pupils: int = Field(ge=1, description="Σ pupils of the classes")
    largest_class: int = Field(ge=1)
    over_cap_classes: int = Field(ge=0, description="classes over the level's 班额 cap (45 / 50)")
    large_classes: int = Field(ge=0, description="大班额: classes of 56 pupils or more")
    extra_large_classes: int = Field(ge=0, description="超大班额: classes of 66 pupils or more")
    special_education: bool = Field(
        description="特殊教育学校: on record, not judged against the ordinary caps"
    )


class ClassSizesChangedData(EventData):
    """班额数据变更: a county's class data (班级学生数) for a school year was replaced."""

    county_code: str = Field(pattern=r"^\d{6}$")
    year: int = Field(description="school year by its start year: 2025 = 2025—2026学年")
    catalogue_version: str = Field(description="the verdict catalogue whose caps apply")
    sections: list[SectionClassSizes] = Field(description="every section with classes on record")
    version: int = Field(description="per county and year; consumers skip stale events")


class ClassSizesChanged(CloudEvent[ClassSizesChangedData]):
    """班额数据变更: the real classes of a county's schools, per section (no personal data)."""

    source: Literal["junheng/evaluation"] = "junheng/evaluation"
    type: Literal["evaluation.class_sizes.changed"] = "evaluation.class_sizes.changed"


EVENTS: tuple[type[CloudEvent], ...] = (  # type: ignore[type-arg]
    AssessmentCompleted,
    VerdictChanged,
    ClassSizesChanged,
)
