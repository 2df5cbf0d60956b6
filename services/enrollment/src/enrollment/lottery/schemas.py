from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from junheng_kit.identifiers import CountyCode
from junheng_kit.problems import UNION_TAG

SchoolCodeIn = Annotated[str, Field(pattern=r"^\d{10}$", description="学校标识码, 10 digits")]
Tier = Annotated[int, Field(ge=0, le=1000, description="priority tier; 1 beats 2")]


class SchoolSeats(BaseModel):
    model_config = ConfigDict(extra="forbid")

    school_code: SchoolCodeIn
    capacity: int = Field(ge=0, le=1_000_000, description="seats to assign in this run")


class ApplicantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    application_id: str = Field(min_length=1, max_length=100)
    preferences: list[SchoolCodeIn] = Field(max_length=1000, description="most wanted first")
    priorities: dict[str, Tier] = Field(
        description="school code → tier; no tier at a school: never admitted there"
    )


class AssignmentRunCreate(BaseModel):
    """An explicit instance, exactly as integrators and auditors publish it for replay."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "seed": "2027-东胜区-公证处-0731",
                    "mechanism": "deferred_acceptance",
                    "tie_breaking": "single",
                    "schools": [
                        {"school_code": "2115000001", "capacity": 1},
                        {"school_code": "2115000002", "capacity": 1},
                    ],
                    "applicants": [
                        {
                            "application_id": "A1",
                            "preferences": ["2115000001", "2115000002"],
                            "priorities": {"2115000001": 1, "2115000002": 2},
                        }
                    ],
                }
            ]
        },
    )

    seed: str = Field(min_length=1, max_length=200)
    mechanism: Literal["deferred_acceptance", "immediate_acceptance"] = Field(
        description="immediate_acceptance (志愿优先, Boston) rewards strategic ranking: families "
        "who put a popular school first and miss it may lose their second choice too"
    )
    tie_breaking: Literal["single", "multiple"]
    schools: list[SchoolSeats] = Field(min_length=1)
    applicants: list[ApplicantIn]


class CutoffRead(BaseModel):
    tier: int
    lottery: str


class ExplanationRead(BaseModel):
    school_code: str
    reason: Literal[
        "tier_below_cutoff",
        "lottery_worse_than_cutoff",
        "not_eligible",
        "full_in_earlier_round",
        "no_seats",
    ]
    tier: int | None = Field(description="the applicant's tier there; null: not eligible")
    lottery: str = Field(description="the applicant's lottery number at that school")
    cutoff_tier: int | None
    cutoff_lottery: str | None


class AssignmentRunRead(BaseModel):
    id: str
    seed: str
    mechanism: Literal["deferred_acceptance", "immediate_acceptance"]
    tie_breaking: Literal["single", "multiple"]
    input_sha256: str = Field(description="SHA-256 of the canonical instance JSON")
    assignments: dict[str, str | None]
    cutoffs: dict[str, CutoffRead | None] = Field(description="null: the school is not full")
    explanations: dict[str, list[ExplanationRead]] = Field(
        description="per applicant, every school ranked above the one received"
    )
    lotteries: dict[str, str] | None = Field(
        default=None, description="single tie-breaking: each applicant's lottery number"
    )


class MechanismSummaryRead(BaseModel):
    mechanism: Literal["deferred_acceptance", "immediate_acceptance"]
    first_choice_share: float
    rank_distribution: dict[str, int] = Field(description='"1", "2", … and "unassigned"')


class ComparisonRead(BaseModel):
    run_id: str
    run: MechanismSummaryRead
    other: MechanismSummaryRead
    better_under_other: list[str]
    worse_under_other: list[str]
    gains: int
    losses: int
    unchanged: int


class AssignmentRunFromApplications(BaseModel):
    """A run over the verified applications of a county, level and school year: seats from the
    published seat plans, priorities from the county's rules in force."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "county_code": "150602",
                    "year": 2025,
                    "level": "primary",
                    "seed": "2025-东胜区-公证处-0731",
                    "mechanism": "deferred_acceptance",
                    "tie_breaking": "single",
                }
            ]
        },
    )

    county_code: CountyCode
    year: int = Field(ge=2000, le=2100, description="school year by its start year")
    level: Literal["primary", "junior"]
    seed: str = Field(min_length=1, max_length=200)
    mechanism: Literal["deferred_acceptance", "immediate_acceptance"]
    tie_breaking: Literal["single", "multiple"]
    policy_on: date | None = Field(
        None, description="apply the priority rules in force on this day (default: today)"
    )


def _run_kind(value: Any) -> str:
    """An explicit instance lists its applicants; a reference names a county instead."""
    if isinstance(value, dict):
        explicit = "applicants" in value or "schools" in value
    else:
        explicit = hasattr(value, "applicants")
    return f"{UNION_TAG}instance" if explicit else f"{UNION_TAG}applications"


AssignmentRunRequest = Annotated[
    Annotated[AssignmentRunCreate, Tag(f"{UNION_TAG}instance")]
    | Annotated[AssignmentRunFromApplications, Tag(f"{UNION_TAG}applications")],
    Discriminator(_run_kind),
]


class RunProvenanceRead(BaseModel):
    """Where a run's instance came from, and how to replay it."""

    run_id: str
    source: Literal["instance", "applications"]
    county_code: str | None
    year: int | None
    level: str | None
    policy_id: str | None
    policy_version: int | None
    input_sha256: str
