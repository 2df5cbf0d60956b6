"""Request and response bodies of the agency exchange."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistance.agencies.models import AgencyAssertion, CategoryList
from junheng_kit.classification import Sensitive, masked
from junheng_kit.i18n import RuleError, t
from junheng_kit.identifiers import CitizenId, CountyCode

PII = "assistance:pii"


class LawfulBasis(BaseModel):
    """目的与依据: checked by the service (422 purpose_required / legal_basis_or_consent_required),
    so these are optional here and a missing one is refused with a named rule."""

    purpose: str | None = Field(None, max_length=200, examples=["2026 秋季学期困难学生认定"])
    legal_basis: str | None = Field(None, max_length=200, examples=["教财〔2018〕16号"])
    consent_ref: str | None = Field(None, max_length=100, examples=["consent-2026-0012"])


class LookupCreate(LawfulBasis):
    """One person: a roster student, or citizen ID + name + county (not yet on the roster)."""

    model_config = ConfigDict(extra="forbid")

    student_id: UUID | None = None
    citizen_id: Annotated[CitizenId | None, Sensitive] = None
    name: Annotated[str | None, Sensitive] = Field(None, min_length=1, max_length=50)
    county_code: CountyCode | None = None
    agencies: list[str] | None = Field(None, description="agency codes; default: all configured")

    @model_validator(mode="after")
    def _one_subject(self) -> Self:
        if self.student_id is None and not (self.citizen_id and self.name and self.county_code):
            raise RuleError(
                "subject_required",
                t(
                    "请给出 student_id，或 citizen_id + name + county_code",
                    "student_id, or citizen_id + name + county_code",
                ),
            )
        if self.student_id is not None and self.citizen_id is not None:
            raise RuleError(
                "subject_ambiguous",
                t(
                    "请给出 student_id 或 citizen_id，不能同时给出",
                    "give student_id or citizen_id, not both",
                ),
            )
        return self


class CategoryRead(BaseModel):
    category: Annotated[str, Sensitive]
    grade: Annotated[int | None, Sensitive]
    valid_from: str | None
    valid_until: str | None


class AssertionRead(BaseModel):
    """An agency's verified minimal answer (or manual evidence). `categories` is null without
    `assistance:pii`."""

    id: UUID
    assertion_id: str
    agency: str
    source: Literal["agency", "manual"]
    student_id: UUID | None
    matched: bool
    name_matches: bool
    categories: Annotated[list[CategoryRead] | None, Sensitive("withheld")]
    issued_at: datetime
    key_id: str | None
    signature: str | None
    evidence: Annotated[dict[str, Any] | None, Sensitive("withheld")]
    ledger_seq: int
    recorded_at: datetime

    @classmethod
    def of(cls, row: AgencyAssertion, scopes: frozenset[str]) -> AssertionRead:
        read = cls.model_validate(row, from_attributes=True)
        return read if PII in scopes else masked(read)


class AgencyResultRead(BaseModel):
    agency: str
    status: Literal["verified", "unavailable", "refused"]
    ledger_seq: int
    assertion: AssertionRead | None = None
    detail: str = ""
    manual_evidence: str | None = Field(
        None, description="when unavailable: where a reviewer records the document they saw"
    )


class LookupRead(BaseModel):
    student_id: UUID | None
    citizen_id: Annotated[str, Sensitive] = Field(description="masked without assistance:pii")
    name: Annotated[str, Sensitive] = Field(description="masked without assistance:pii")
    county_code: str
    purpose: str
    results: Annotated[list[AgencyResultRead], Sensitive]


class ManualEvidenceCreate(LawfulBasis):
    """人工核验: the document a reviewer saw while the agency could not answer."""

    model_config = ConfigDict(extra="forbid")

    student_id: UUID
    agency: str = Field(examples=["mca"])
    category: Annotated[str, Sensitive] = Field(examples=["dibao"])
    grade: Annotated[int | None, Sensitive] = Field(
        None, ge=1, le=4, description="残疾等级 1–4 where graded"
    )
    valid_from: date
    valid_until: date | None = None
    kind: str = Field(min_length=1, max_length=50, examples=["低保证"])
    reference: str = Field(min_length=1, max_length=100, examples=["东民低保字〔2026〕0123"])
    reviewer: str = Field(min_length=1, max_length=50)
    note: str | None = Field(None, max_length=300)


class CategoryListRefresh(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region_code: CountyCode
    purpose: str | None = Field(None, max_length=200)
    legal_basis: str | None = Field(None, max_length=200)


class CategoryListSummaryRead(BaseModel):
    agency: str
    list_ref: UUID | None
    entry_count: int
    status: Literal["fetched", "unavailable"]
    detail: str


class CategoryListRead(BaseModel):
    """A stored list without its entries."""

    id: UUID
    agency: str
    region_code: str
    list_id: str
    as_of: date
    entry_count: int
    entries_sha256: str
    key_id: str
    fetched_at: datetime
    ledger_seq: int

    @classmethod
    def of(cls, row: CategoryList) -> CategoryListRead:
        return cls.model_validate(row, from_attributes=True)


class AgencyHealthRead(BaseModel):
    started_at: datetime
    uptime_seconds: float
    calls: int
    failures: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    match_rate: float | None = Field(description="matched / answered lookups since start")
    breaker: Literal["closed", "open", "half_open"]


class AgencyRead(BaseModel):
    code: str
    name: str
    base_url: str
    categories: list[str]
    key_id: str
    timeout_seconds: float
    health: AgencyHealthRead
