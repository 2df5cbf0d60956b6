"""The what-if API contract: a list of changes in, baseline and scenario side by side out."""

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from evaluation.assessment.schemas import (
    Amount,
    Count,
    CvOut,
    ExcludedSection,
    Level,
    ResourceAllocationOut,
    SchoolOut,
    ScopeOut,
)
from evaluation.whatif.rules import TeacherKind
from junheng_kit.i18n import RuleError, t
from junheng_kit.identifiers import SchoolCode

RESOURCE_FIELDS = (
    "teachers_above_required_degree",
    "backbone_teachers",
    "pe_arts_teachers",
    "teaching_auxiliary_area_m2",
    "sports_venue_area_m2",
    "equipment_value_yuan",
    "multimedia_classrooms",
)


class MoveTeachersChange(BaseModel):
    """Move teachers of one kind between two sections (a nine-year school's two sections too).

    One teacher may count in several kinds; moving N of one kind changes only that kind's count,
    so a backbone teacher with the required degree moves with two changes."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["move_teachers"]
    from_school: SchoolCode
    from_level: Level
    to_school: SchoolCode
    to_level: Level
    teacher_kind: TeacherKind = Field(
        description="above_required_degree (indicator 1), backbone (2) or pe_arts (3)"
    )
    count: int = Field(ge=1, le=1_000_000)


class AddResourcesChange(BaseModel):
    """Add resources to one section; name at least one field (the same names as the sections)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["add_resources"]
    school_code: SchoolCode
    level: Level
    teachers_above_required_degree: Count | None = None
    backbone_teachers: Count | None = None
    pe_arts_teachers: Count | None = None
    teaching_auxiliary_area_m2: Amount | None = None
    sports_venue_area_m2: Amount | None = None
    equipment_value_yuan: Amount | None = None
    multimedia_classrooms: Count | None = None

    @model_validator(mode="after")
    def _names_an_addition(self) -> Self:
        if not self.additions():
            raise RuleError(
                "addition_required",
                t("请至少指明一项要增加的资源", "name at least one resource to add"),
            )
        return self

    def additions(self) -> dict[str, int | float]:
        """The fields sent, in catalogue order."""
        found = {field: getattr(self, field) for field in RESOURCE_FIELDS}
        return {field: amount for field, amount in found.items() if amount is not None}


class SetStudentsChange(BaseModel):
    """Set one section's enrollment (在校生数)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["set_students"]
    school_code: SchoolCode
    level: Level
    students: int = Field(gt=0, le=100_000)


Change = Annotated[
    MoveTeachersChange | AddResourcesChange | SetStudentsChange, Field(discriminator="kind")
]


class WhatIfRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "changes": [
                        {
                            "kind": "move_teachers",
                            "from_school": "2115060001",
                            "from_level": "primary",
                            "to_school": "2115060003",
                            "to_level": "primary",
                            "teacher_kind": "above_required_degree",
                            "count": 1,
                        },
                        {
                            "kind": "add_resources",
                            "school_code": "2115060003",
                            "level": "primary",
                            "teaching_auxiliary_area_m2": 150,
                        },
                        {
                            "kind": "set_students",
                            "school_code": "2115060002",
                            "level": "primary",
                            "students": 760,
                        },
                    ]
                }
            ]
        },
    )

    changes: list[Change] = Field(min_length=1, max_length=500, description="applied in order")


class ResultOut(BaseModel):
    """The resource-allocation part of an assessment, keys as in `AssessmentRead` (`excluded`
    and `scope` exactly when the assessment's answer carries them)."""

    schools: list[SchoolOut]
    cv: dict[Level, dict[str, CvOut]]
    resource_allocation: ResourceAllocationOut
    excluded: list[ExcludedSection] | None = Field(
        None,
        description="as in the assessment: the sections its county's scope rules left out "
        "(a change cannot name them)",
    )
    scope: ScopeOut | None = Field(
        None, description="as in the assessment: the scope rules it was assessed under"
    )


class ChangedSectionOut(BaseModel):
    school_code: str
    level: Level
    before_passed: bool
    after_passed: bool
    before_met_count: int
    after_met_count: int


class SectionFixOut(BaseModel):
    school_code: str
    level: Level
    additions: dict[str, int | float] = Field(
        description="resource field → amount to add (the names `add_resources` takes)"
    )


class CheapestFixOut(BaseModel):
    method: str = Field(description="how the additions were chosen (greedy, not a proven optimum)")
    sections: list[SectionFixOut]
    totals: dict[str, int | float]
    resulting_resource_allocation: ResourceAllocationOut = Field(
        description="the scenario's verdict with every addition applied: the listed sections "
        "pass; CVs may still fail"
    )


class WhatIfRead(BaseModel):
    assessment_id: str
    county_code: str
    year: int
    catalogue_version: str
    changes_applied: int
    baseline: ResultOut = Field(description="the stored assessment's sections, re-assessed")
    scenario: ResultOut
    changed_sections: list[ChangedSectionOut] = Field(
        description="sections whose inputs the changes altered, in assessment order"
    )
    cheapest_fix: CheapestFixOut = Field(description="computed on the scenario")
