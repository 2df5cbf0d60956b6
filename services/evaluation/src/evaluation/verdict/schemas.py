"""The county-verdict API contract: reviewer inputs in, the verdict with its reasons out.

Thresholds, shares and gaps are `Decimal` and travel as JSON strings ("0.20"), exactly.
"""

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from evaluation.classes.schemas import SectionClassesRead
from evaluation.teachers.schemas import TrainingSectionRead
from evaluation.verdict.catalogue import RecognitionGroup, VetoKind
from evaluation.verdict.rules import Basis, Finding, Verdict
from junheng_kit.i18n import AnswerText, RuleError, t

Measure = Annotated[Decimal, Field(ge=0, le=Decimal("1e15"), allow_inf_nan=False)]
Share = Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False)]


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    reference: str = Field(min_length=1, max_length=500, description="document number, URL, file")


class ItemPut(BaseModel):
    """One item's review: measured values the catalogue judges, and/or a reviewer finding."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "measured": {
                        "eligible_teachers": 100,
                        "rotated_teachers": 12,
                        "backbone_rotated": 2,
                    },
                    "finding": None,
                    "evidence": [
                        {"title": "2025年教师交流轮岗名单", "reference": "东教发〔2025〕12号"}
                    ],
                    "reviewer": "李审核",
                }
            ]
        },
    )

    measured: dict[Annotated[str, Field(max_length=60)], Measure] | None = Field(
        None, max_length=10, description="the numbers the item's measure names"
    )
    finding: Finding | None = None
    evidence: list[Evidence] = Field(default_factory=list, max_length=50)
    reviewer: str = Field(min_length=1, max_length=100)
    note: str | None = Field(None, max_length=2000)

    @field_validator("evidence")
    @classmethod
    def _evidence_required(cls, value: list[Evidence]) -> list[Evidence]:
        if not value:
            raise RuleError(
                "evidence_required",
                t("每一项至少引用一份佐证材料", "every item cites at least one piece of evidence"),
            )
        return value


class CriterionOut(BaseModel):
    name: str
    value: Decimal
    comparator: Literal["at_least", "at_most"]
    threshold: Decimal
    unit: str
    met: bool
    gap: Decimal | None = Field(description="how far from the threshold, in `unit`")
    missing: Decimal | None = Field(description="what to add (whole people or places round up)")
    missing_unit: str | None


class ItemRead(BaseModel):
    key: str
    part: Literal["government_assurance", "education_quality"]
    number: int
    title_zh: str
    met: bool
    basis: Basis
    threshold: dict[str, Decimal] | None = Field(description="per criterion; null for findings")
    gap: dict[str, Decimal] | None = Field(
        description="per unmet criterion: the count to add when whole, else the distance"
    )
    criteria: list[CriterionOut]
    finding: Finding | None
    finding_overridden: bool = Field(
        description="the reviewer finding disagrees with the measured values, which decided"
    )
    standard: str
    unconfirmed: list[Literal["wording", "thresholds"]] = Field(
        description="what of the item's official basis no official text confirms yet: wording "
        "(the item's exact words), thresholds (no default value: a reviewer finding judges)"
    )
    evidence: list[Evidence]
    reviewer: str
    note: str | None
    source: Literal["review", "classes", "staffing"] = Field(
        "review",
        description="a stored review (PUT items/{key}); for 班额 without one, the county's class "
        "data (班级学生数, see GET /v1/school-classes/{county_code}/{year}); for 教师5年360学时 "
        "without one, staffing's training counts (staffing.school_teacher_stats.changed, see "
        "GET /v1/schools/{school_code}/teacher-stats) when every section of the county-year has "
        "them for that school year",
    )
    sections_over_cap: list[SectionClassesRead] | None = Field(
        None,
        description="班额 from the class data: each school section with a class over its level's "
        "cap, with those classes",
    )
    training_sections: list[TrainingSectionRead] | None = Field(
        None,
        description="教师5年360学时 from staffing: every school section counted, with the event "
        "its counts came from",
    )


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group: RecognitionGroup
    respondents: int = Field(gt=0, le=10_000_000)
    satisfied: int = Field(ge=0, le=10_000_000)


class RecognitionPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    groups: list[GroupIn] = Field(min_length=1, max_length=4)
    weights: dict[RecognitionGroup, Share] | None = Field(
        None, description="per group, summing to 1; omitted: pooled Σsatisfied ÷ Σrespondents"
    )
    local_target: Share | None = Field(
        None, description="a local plan target (e.g. 0.95): reported, never decides the verdict"
    )


class RecognitionRead(BaseModel):
    met: bool | None
    rate: Decimal | None = Field(description="6 decimal places; decided on the exact value")
    method: Literal["pooled", "weighted"] | None
    threshold: Decimal
    local_target: Decimal | None
    met_local_target: bool | None


class VetoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: VetoKind
    evidence: str = Field(min_length=1, max_length=2000)


class EligibilityPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    basic_balance_recognised_year: int = Field(ge=1990, le=2100)
    vetoes: list[VetoIn] = Field(default_factory=list, max_length=20)


class EligibilityRead(BaseModel):
    met: bool | None
    basic_balance_recognised_year: int | None
    years_since: int | None
    required_years: int


class VetoOut(BaseModel):
    kind: str
    evidence: str
    derived: bool


class InputsRead(BaseModel):
    """The answer to PUT recognition / eligibility: what was stored and how it is judged."""

    county_code: str
    year: int
    social_recognition: RecognitionRead | None = None
    eligibility: EligibilityRead | None = None
    vetoes: list[VetoOut] | None = None


class IndicatorShortfall(BaseModel):
    key: str
    value: float
    threshold: Decimal
    floor: Decimal
    shortfall: Decimal
    unit: str


class FailingSchoolOut(BaseModel):
    school_code: str
    level: Literal["primary", "junior"]
    indicators: list[IndicatorShortfall]


class FailingCvOut(BaseModel):
    level: Literal["primary", "junior"]
    indicator: str
    value: float
    limit: Decimal


class ResourceAllocationPart(BaseModel):
    met: bool | None
    failing_schools: list[FailingSchoolOut]
    failing_cv: list[FailingCvOut]


class ItemsPart(BaseModel):
    met: bool | None
    failing: list[ItemRead]
    missing: list[str]


class VerdictParts(BaseModel):
    resource_allocation: ResourceAllocationPart
    government_assurance: ItemsPart
    education_quality: ItemsPart
    social_recognition: RecognitionRead
    eligibility: EligibilityRead
    vetoes: list[VetoOut]


class FailingItem(BaseModel):
    part: str
    key: str
    school_code: str | None = None
    level: str | None = None
    gap: Decimal | None = None
    unit: str | None = None
    detail: AnswerText  # in the caller's language (junheng_kit.i18n)


class VerdictRead(BaseModel):
    county_code: str
    year: int
    verdict: Verdict
    missing: list[str] = Field(description='what is not stored yet: "assessment", "items.<key>" …')
    assessment_id: str | None
    catalogue_version: str
    parts: VerdictParts
    failing_items: list[FailingItem]
