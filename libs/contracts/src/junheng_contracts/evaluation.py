"""Events the evaluation service publishes (stream EVALUATION ← `evaluation.>`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from junheng_contracts.envelope import CloudEvent, EventData


class FailingSection(BaseModel):
    model_config = ConfigDict(frozen=True)
    school_code: str
    level: Literal["primary", "junior"]


class FailingCv(BaseModel):
    model_config = ConfigDict(frozen=True)
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


EVENTS: tuple[type[CloudEvent[AssessmentCompletedData]], ...] = (AssessmentCompleted,)
