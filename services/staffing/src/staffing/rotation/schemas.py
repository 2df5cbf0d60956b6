from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from junheng_kit.classification import Personal
from junheng_kit.i18n import RuleError, t
from junheng_kit.identifiers import SchoolCode
from staffing.rotation.models import PlanStatus


class RotationParameterOverrides(BaseModel):
    """Values for this plan only; each falls back to the county's policy in force."""

    model_config = ConfigDict(extra="forbid")

    trigger_years: int | None = Field(
        None,
        ge=1,
        le=40,
        description="rotation_trigger_years: years at one school from which a teacher is "
        "eligible (the county's own condition; no official value)",
    )
    priority_years: int | None = Field(
        None,
        ge=1,
        le=40,
        description="rotation_priority_years: principals and backbone teachers with this many "
        "years at their school rotate first (seed 000: 6)",
    )
    retirement_window_years: int | None = Field(
        None, ge=0, le=20, description="rotation_retirement_window_years"
    )
    retirement_age_male: int | None = Field(None, ge=45, le=70)
    retirement_age_female: int | None = Field(None, ge=45, le=70)
    max_distance_km: Decimal | None = Field(None, gt=0, le=2000)


class FixedMoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    teacher_id: UUID
    to_school_code: SchoolCode
    pooled: bool = Field(False, description="统筹: may exceed the school's free posts")
    pooling_reference: str | None = Field(
        None, max_length=100, description="the approval a pooled move rests on"
    )


class RotationPlanCreate(BaseModel):
    """Generate a draft 交流轮岗 plan for the county and school year."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100, description="school year by its start year")
    on: date | None = Field(None, description="reference date; default 1 September of the year")
    target_count: int | None = Field(
        None, ge=0, le=100_000, description="moves wanted, if more than the 10 % minimum"
    )
    parameters: RotationParameterOverrides = Field(default_factory=RotationParameterOverrides)
    subject_needs: dict[SchoolCode, dict[str, int]] | None = Field(
        None,
        description="receiving schools' needs: school → subject (code or 中文名) → teachers; "
        "when given, only listed schools receive, only those subjects, up to those counts",
    )
    fixed_moves: list[FixedMoveIn] = Field(default_factory=list, max_length=1_000)

    @model_validator(mode="after")
    def _needs_positive(self) -> Self:
        for by_subject in (self.subject_needs or {}).values():
            if any(count < 0 for count in by_subject.values()):
                raise RuleError(
                    "subject_need_non_negative",
                    t("需求为 0 名或以上教师", "a need is 0 or more teachers"),
                )
        return self


class ParameterUsed(BaseModel):
    key: str
    value: str | None
    source: str = Field(description="the policy row's citation, or 'request'")


class IndicatorChangeRead(BaseModel):
    key: str
    threshold: Decimal
    before: Decimal = Field(description="per 100 pupils before the plan")
    after: Decimal = Field(description="per 100 pupils with every move of the plan")


class MoveWhyRead(BaseModel):
    gain: float = Field(description="the move's term in the objective")
    adds: list[str] = Field(description="indicators the teacher counts for")
    direction: str
    sending_strength: Decimal = Field(description="mean of value ÷ threshold, indicators 1–3")
    receiving_strength: Decimal
    distance_km: Decimal
    receiving_indicators: list[IndicatorChangeRead]
    sending_indicators: list[IndicatorChangeRead]


class MoveRead(BaseModel):
    teacher_id: str
    teacher_name: Annotated[str, Personal]
    from_school: str
    to_school: str
    section: str
    subject: str
    is_backbone: bool
    fixed: bool
    pooled: bool
    pooling_reference: str | None
    why: MoveWhyRead
    leadership_post: str | None = Field(None, description="principal 校长 | vice_principal 副校长")
    is_priority: bool | None = Field(
        None,
        description="a priority candidate: a principal or backbone teacher with "
        "rotation_priority_years at the school (seed 000: rotates first); null in plans made "
        "before the rule was recorded",
    )


class ShortfallRead(BaseModel):
    rule: str
    required: int
    planned: int
    reason: str


class PoolRead(BaseModel):
    eligible: int
    excluded: dict[str, int]
    candidates_with_destination: int


class PriorityExceptionRead(BaseModel):
    school_code: str
    moved: list[str] = Field(description="non-priority principals / backbone teachers who move")
    staying: list[str] = Field(description="priority teachers of the school who stay")
    message: str


class PriorityRead(BaseModel):
    """优先交流 (seed 000): principals and backbone teachers of the pool with
    `rotation_priority_years` at their school rotate first — an order, not a refusal."""

    years: int | None = Field(description="rotation_priority_years; null: no such rule in force")
    pool: int = Field(description="priority candidates among the eligible")
    moved: int = Field(description="of them, in the plan")
    exceptions: list[PriorityExceptionRead] = Field(
        description="schools where a non-priority principal or backbone teacher moves while a "
        "priority one stays (a warning; approval does not need a justification for it)"
    )


class RotationPlanResult(BaseModel):
    """What the optimiser answered; stored once, as generated."""

    county_code: str
    year: int
    on: date
    solver: str
    parameters: list[ParameterUsed]
    pool: PoolRead
    required_rotated: int
    target_rotated: int
    required_backbone: int
    rotated: int
    backbone_rotated: int
    quota_rules_met: bool
    shortfalls: list[ShortfallRead]
    objective: float
    optimality_gap: float = Field(
        description="proven: (bound − objective) ÷ |bound|; 0.001 = within 0.1 % of the best plan"
    )
    moves: list[MoveRead]
    sending_schools: list[str]
    receiving_schools: list[str]
    free_posts: dict[str, int]
    warnings: list[str]
    priority: PriorityRead | None = Field(
        None, description="who rotates first; null in plans made before the rule was recorded"
    )


class ConfirmationRead(BaseModel):
    school_code: str
    signatory: str
    note: str | None
    confirmed_by: str
    confirmed_at: datetime


class RotationPlanRead(RotationPlanResult):
    id: UUID
    status: PlanStatus
    confirmations: list[ConfirmationRead]
    awaiting_confirmation: list[str]
    justification: str | None
    created_by: str
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    executed_at: datetime | None
    version: int = Field(description="the plan's version, also its ETag; send it as If-Match")


class RotationPlanSummary(BaseModel):
    id: UUID
    year: int
    status: PlanStatus
    rotated: int
    quota_rules_met: bool
    created_at: datetime


class RotationPlanList(BaseModel):
    items: list[RotationPlanSummary]


class ConfirmationCreate(BaseModel):
    """学校确认: a sending or receiving school agrees to the plan."""

    model_config = ConfigDict(extra="forbid")

    school_code: SchoolCode
    signatory: str = Field(min_length=1, max_length=100, examples=["王校长"])
    note: str | None = Field(None, max_length=500)


class ApprovalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    justification: str | None = Field(
        None,
        min_length=10,
        max_length=2000,
        description="required when the plan misses the 10 % or 20 % rule: why approve anyway",
    )


class ExecutedMoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    teacher_id: UUID
    to_school_code: SchoolCode


class ExecutionCreate(BaseModel):
    """Record the moves in the teacher registry, in one transaction."""

    model_config = ConfigDict(extra="forbid")

    moved_on: date
    moves: list[ExecutedMoveIn] | None = Field(
        None, max_length=10_000, description="what was really done; default: the plan's moves"
    )

    @model_validator(mode="after")
    def _once_per_teacher(self) -> Self:
        ids = [m.teacher_id for m in self.moves or []]
        if len(ids) != len(set(ids)):
            raise RuleError(
                "rotation_once_per_teacher", t("同一教师被列出两次", "a teacher is listed twice")
            )
        return self


class DeviationRead(BaseModel):
    teacher_id: str
    kind: Literal["not_executed", "other_school", "unplanned"]
    planned_to: str | None
    executed_to: str | None


class QuotaBreachRead(BaseModel):
    school_code: str
    net_arrivals: int
    free_posts: int


class AdherenceRead(BaseModel):
    plan_id: UUID
    planned: int
    executed: int
    as_planned: int
    adherence_rate: Decimal
    deviations: list[DeviationRead]
    executed_backbone: int
    required_rotated: int
    required_backbone: int
    shortfalls: list[ShortfallRead]
    quota_breaches: list[QuotaBreachRead] = Field(
        description="net arrivals beyond the free approved posts at plan time (统筹 moves of the "
        "plan excepted)"
    )


class RuralServiceRead(BaseModel):
    teacher_id: UUID
    name: str
    school_code: str
    rural_service_days: int
    rural_service_years: Decimal
    senior_title_eligible: bool | None = Field(
        description="≥ senior_title_rural_years; null: the county has no such rule in force"
    )
    principal_priority: bool | None


class RuralServicePage(BaseModel):
    on: date
    senior_title_rural_years: Decimal | None
    principal_priority_rural_years: Decimal | None
    items: list[RuralServiceRead]
    next_cursor: str | None


class TitleStructureRead(BaseModel):
    school_code: str
    section: str
    counts: dict[str, int]
    untitled: int
    total: int
    shares: dict[str, Decimal]
    target_ratio: str | None
    target_shares: dict[str, Decimal] | None
    target_counts: dict[str, Decimal] | None
    over_target: list[str]


class TitleStructureList(BaseModel):
    on: date
    items: list[TitleStructureRead]
