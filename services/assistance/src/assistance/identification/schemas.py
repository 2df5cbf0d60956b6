"""应助尽助 API shapes: jobs, the review queue, coverage."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from junheng_kit.classification import Sensitive
from junheng_kit.i18n import RuleError, t
from junheng_kit.identifiers import CountyCode


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class JobPhase(StrEnum):
    QUEUED = "queued"
    REFRESHING_LISTS = "refreshing_lists"
    LOADING = "loading"
    MATCHING = "matching"
    WRITING = "writing"
    DONE = "done"


class ReviewKind(StrEnum):
    NAME_MISMATCH = "name_mismatch"  # the ID is listed under another name
    ID_MISMATCH = "id_mismatch"  # same name and birth date, another ID


class ReviewStatus(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class JobCreate(BaseModel):
    """Start a 应助尽助 scan of one county for one school year."""

    model_config = ConfigDict(extra="forbid")

    county_code: CountyCode
    school_year: int = Field(ge=2000, le=2100, description="start year: 2026 = 2026—2027学年")
    as_of: date | None = Field(
        None, description="date categories must be valid on; today if omitted"
    )
    refresh_lists: bool = Field(
        False, description="fetch every configured agency's list first (else use the last ones)"
    )
    purpose: str = Field(min_length=1, max_length=200, description="查询目的, e.g. 应助尽助 认定")
    legal_basis: str = Field(
        min_length=1,
        max_length=200,
        description="法律依据 of the data sharing, e.g. 财教〔2021〕310号",
    )


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    county_code: str
    school_year: int
    as_of: date
    refresh_lists: bool
    purpose: str
    legal_basis: str
    status: JobStatus
    phase: JobPhase
    lists: list[dict[str, Any]] = Field(
        description="per agency: the list used (list_ref, as_of, fetched_at, entries) and whether "
        "this job fetched it or kept the last one because the agency was unavailable"
    )
    counts: dict[str, int] = Field(
        description="progress while running: after loading students, list_entries, awards; "
        "after matching also matched_entries, name_mismatches, id_mismatches, review_items, "
        "to_propose, lost; when done students, list_entries, auto_identified, name_mismatches, "
        "id_mismatches, review_items (new), proposed (awards created), notices (status notices "
        "raised), eligible, awarded"
    )
    detail: str | None
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None = Field(
        description="last sign of life of the process running it (every 15 s by default)"
    )
    finished_at: datetime | None


class ReviewItemRead(BaseModel):
    """A partial match. Without `assistance:pii`: names `张*`, IDs masked, no category."""

    id: UUID
    job_id: UUID
    student_id: UUID
    student_name: Annotated[str, Sensitive]
    student_citizen_id: Annotated[str, Sensitive]
    county_code: str
    school_code: str
    school_year: int
    kind: ReviewKind
    agency: str
    category: Annotated[str | None, Sensitive]
    list_ref: UUID
    assertion_id: str
    list_citizen_id: Annotated[str, Sensitive]
    list_name: Annotated[str, Sensitive]
    status: ReviewStatus
    reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    proposed_awards: int
    version: int
    created_at: datetime


class ReviewItemPage(BaseModel):
    items: list[ReviewItemRead]
    next_cursor: str | None


class ReviewDecision(BaseModel):
    """复核结论: confirm (the roster child is the listed person) or reject, with a reason."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["confirm", "reject"]
    reason: str | None = Field(None, max_length=500, validate_default=True)

    @field_validator("reason")
    @classmethod
    def _reason_for_rejection(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("decision") == "reject" and not (value or "").strip():
            raise RuleError("reason_required", t("驳回须说明理由", "a rejection states its reason"))
        return value


class SchoolCoverageRead(BaseModel):
    school_code: str
    students: int
    eligible: int
    auto_identified: int
    awarded: int
    gap: int = Field(description="应助尽助 gap: eligible students without an award")
    coverage: float = Field(description="auto_identified / eligible (0 when none eligible)")


class CoverageRead(BaseModel):
    """The figures of the county's latest finished job for the school year (see the README for
    what each count includes)."""

    job_id: UUID
    county_code: str
    school_year: int
    as_of: date
    computed_at: datetime
    students: int
    eligible: int
    auto_identified: int
    awarded: int
    gap: int
    coverage: float
    per_school: list[SchoolCoverageRead]
