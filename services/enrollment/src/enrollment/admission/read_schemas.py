"""What families and clerks read about an application: its status through the whole life
(review, admission, withdrawal), the admission, the lottery explanation, admission lists.

Personal data (the child's citizen ID, 学籍号, name and birth date, the guardian's name and
phone, the home and 户籍 addresses and coordinates, the residence-permit number) is shown in
full only to callers holding `enrollment:pii`; everyone else reads it masked as assistance
shows it without `assistance:pii` (`150602********123X`, `张*`, `139****5678`, `东胜区****`,
coordinates to 0.01°). Read shapes are plain strings, not the checked input types, so a masked
value is a valid answer.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from enrollment.facts.schemas import CheckedFact
from junheng_kit.classification import Personal, Sensitive
from junheng_kit.identifiers import CitizenId

PII = "enrollment:pii"  # the scope that shows personal data unmasked

ApplicationStatus = Literal[
    "submitted", "verifying", "verified", "needs_documents", "rejected", "withdrawn", "admitted"
]
Via = Literal["lottery", "placement"]


class ChecklistItem(BaseModel):
    document: str
    status: Literal["confirmed", "refuted", "pending", "not_checked"]


class ChildRead(BaseModel):
    citizen_id: Annotated[str, Sensitive] = Field(
        description="公民身份号码; masked without enrollment:pii"
    )
    name: Annotated[str, Sensitive] = Field(description="masked (张*) without enrollment:pii")
    birth_date: Annotated[date | None, Sensitive] = Field(description="null without enrollment:pii")
    student_number: Annotated[str | None, Sensitive] = Field(
        description="全国学籍号; masked without enrollment:pii"
    )


class GuardianRead(BaseModel):
    name: Annotated[str, Personal] = Field(description="masked (张*) without enrollment:pii")
    relation: Annotated[Literal["father", "mother", "grandparent", "other"], Personal("shown")]
    phone: Annotated[str, Personal] = Field(
        description="masked (139****0000) without enrollment:pii"
    )


class PointRead(BaseModel):
    longitude: Annotated[float, Sensitive] = Field(
        description="rounded to 0.01° without enrollment:pii"
    )
    latitude: Annotated[float, Sensitive] = Field(
        description="rounded to 0.01° without enrollment:pii"
    )


class HukouRead(BaseModel):
    county_code: Annotated[str, Personal("shown")]
    type: Annotated[Literal["urban", "rural"], Personal("shown")]
    address: Annotated[str, Sensitive] = Field(
        description="masked (东胜区****) without enrollment:pii"
    )
    location: Annotated[PointRead | None, Sensitive]


class ResidencePermitRead(BaseModel):
    issued_on: Annotated[date, Personal("shown")]
    number: Annotated[str | None, Personal("citizen_id")] = Field(
        description="masked without enrollment:pii"
    )


class HouseholdRead(BaseModel):
    hukou: Annotated[HukouRead, Personal]
    housing: Annotated[Literal["owned", "rented", "other"], Personal("shown")]
    residence_permit: Annotated[ResidencePermitRead | None, Personal]
    social_insurance_months: Annotated[int, Personal("shown")]


class HomeRead(PointRead):
    address: Annotated[str, Sensitive] = Field(
        description="masked (东胜区****) without enrollment:pii"
    )


class ApplicationAdmission(BaseModel):
    """录取: the admission that stands for this application."""

    school_code: str
    school_name: str
    via: Via = Field(
        description="lottery: placed by the run (电脑派位 or its priority tiers); placement: "
        "统筹安排 by the bureau after the run"
    )
    run_id: UUID
    confirmed_at: datetime


class ApplicationRead(BaseModel):
    id: UUID
    county_code: str
    year: int
    grade: int
    level: Literal["primary", "junior"]
    status: ApplicationStatus = Field(
        description="submitted → verifying → verified | needs_documents | rejected; withdrawn "
        "by the family before admission; admitted once an admission is confirmed (then "
        "`admission` says where and how)"
    )
    status_reason: str | None
    admission: ApplicationAdmission | None = Field(
        None, description="the school the child is admitted to; null until admitted"
    )
    child: Annotated[ChildRead, Sensitive]
    child_key: Annotated[str, Personal("shown")] = Field(
        description="pseudonymous student key used in events"
    )
    guardian: Annotated[GuardianRead, Personal]
    household: Annotated[HouseholdRead, Personal]
    migrant: Annotated[bool, Personal("shown")] = Field(
        description="随迁子女: 户籍 outside the county"
    )
    home: Annotated[HomeRead, Sensitive]
    home_zone_code: Annotated[str | None, Personal("shown")]
    hukou_zone_code: Annotated[str | None, Personal("shown")]
    school_options: list[str] = Field(description="schools of the zones in force at submission")
    choices: list[str]
    primary_school_code: str | None = Field(description="小学毕业学校 (grade 7), when given")
    checklist: list[ChecklistItem] = Field(description="documents the policy asks of this family")
    facts: list[CheckedFact] = Field(
        default_factory=list,
        description="facts checked with other agencies (data sharing): source, time, what it "
        "proved",
    )
    version: int
    created_at: datetime
    updated_at: datetime


class ApplicationSummary(BaseModel):
    id: UUID
    county_code: str
    year: int
    grade: int
    status: str
    migrant: bool
    choices: list[str]
    created_at: datetime


class ApplicationPage(BaseModel):
    items: list[ApplicationSummary]
    next_cursor: str | None


class ApplicationSearch(BaseModel):
    """Find a child's applications by the 公民身份号码 (POST: the ID stays out of URLs, proxy
    and access logs)."""

    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [
        {"citizen_id": "150602201903150018"}
    ]}}  # fmt: skip

    citizen_id: Annotated[CitizenId, Sensitive]


class ApplicationMatches(BaseModel):
    items: list[ApplicationRead]


class WithdrawalCreate(BaseModel):
    model_config = {"extra": "forbid"}

    reason: str | None = Field(None, max_length=500, description="why the family withdraws")


class AdmissionItem(BaseModel):
    application_id: UUID
    county_code: str
    year: int
    level: str
    school_code: str
    school_name: str
    via: Via
    run_id: UUID
    student_number: Annotated[str | None, Sensitive] = Field(
        description="全国学籍号; masked without enrollment:pii"
    )
    distance_km: float | None
    confirmed_at: datetime


class AdmissionPage(BaseModel):
    items: list[AdmissionItem]
    next_cursor: str | None


class ExplanationReason(BaseModel):
    code: Literal[
        "tier_below_cutoff",
        "lottery_worse_than_cutoff",
        "not_eligible",
        "full_in_earlier_round",
        "no_seats",
    ]
    zh: str
    en: str


class RankedSchool(BaseModel):
    """One school the family ranked above the one it got (or every school, when unplaced)."""

    school_code: str
    tier: int | None = Field(description="the family's tier there; null: not eligible")
    lottery: str = Field(description="the family's lottery number at that school")
    cutoff_tier: int | None = Field(description="the last admitted tier; null: not full")
    cutoff_lottery: str | None = Field(description="the last admitted lottery number")
    reasons: list[ExplanationReason]


class FamilyExplanation(BaseModel):
    """派位说明: why this family got its school — from the stored run, this family only."""

    application_id: UUID
    run_id: UUID
    seed: str
    mechanism: str
    tie_breaking: str
    choices: list[str] = Field(description="the schools the family ranked, most wanted first")
    school_code: str | None = Field(description="the school the run gave; null: unplaced")
    tier: int | None = Field(description="the family's tier at that school")
    lottery: str | None = Field(description="the family's lottery number at that school")
    ranked_above: list[RankedSchool]
    summary_zh: str
    summary_en: str
