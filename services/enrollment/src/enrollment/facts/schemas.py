"""Bodies of the enrollment facts: a checked fact, an application's facts and access log, the
on-demand check, a county's re-check job."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class DataSharing(BaseModel):
    """数据共享核验: the purpose and legal basis this county's automatic fact checks state to the
    agencies (docs/agency-protocol.md). When set, the agency-held facts of an application's tier
    (户籍, 居住证, 不动产, 社保) are checked on submission; without it clerks check documents."""

    model_config = ConfigDict(extra="forbid")

    purpose: str = Field(min_length=2, max_length=200, examples=["2025年义务教育招生入学资格审核"])
    legal_basis: str = Field(
        min_length=2,
        max_length=200,
        examples=["《义务教育法》第十二条；东胜区2025年义务教育阶段招生入学工作方案"],
    )


class CheckedFact(BaseModel):
    """A fact of the application's tier checked through data sharing (数据共享核验): the
    condition, the agency that answered, when, and what its answer proved."""

    model_config = ConfigDict(from_attributes=True)

    fact: str
    condition: str = Field(description="<fact>:<op>:<value>, e.g. residence_permit_months:gte:12")
    rule: str = Field(description="the county's condition it checks, with the tier")
    status: Literal["verified", "contradicted", "unavailable"] = Field(
        description="unavailable: no agency answer — show the document instead (manual evidence)"
    )
    agency: str
    agency_name: str
    proved: str | None = Field(description="what the agency's answer proved (中文 / English)")
    detail: str | None = Field(description="why no answer counted (unavailable)")
    assertion_id: str | None
    ledger_seq: int | None
    checked_at: datetime


class AccessLogEntry(BaseModel):
    """查询记录: one lookup about the child — when, which agency, why, on what basis, result."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    recorded_at: datetime
    kind: str
    agency: str
    purpose: str
    legal_basis: str | None
    consent_ref: str | None
    actor: str
    outcome: str = Field(description="matched | not_matched | no_record | unavailable | refused")
    answer_id: str | None
    detail: str | None


class ApplicationFactsRead(BaseModel):
    """What was checked about an application through data sharing, and every lookup made."""

    application_id: UUID
    status: str
    checked_at: datetime | None
    outcome: str | None = Field(
        description="verified | contradicted | unavailable | nothing_to_check | no_basis"
    )
    reason: str | None
    facts: list[CheckedFact]
    access_log: list[AccessLogEntry]


class FactCheckCreate(BaseModel):
    """An on-demand check: the purpose and legal basis (default: the policy's data_sharing)
    and, optionally, only some facts of the tier."""

    model_config = ConfigDict(extra="forbid")

    purpose: str | None = Field(None, max_length=200)
    legal_basis: str | None = Field(None, max_length=200)
    consent_ref: str | None = Field(None, max_length=100)
    facts: list[str] | None = Field(None, max_length=10)


class RecheckJobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    county_code: str
    status: Literal["queued", "running", "finished", "failed"]
    total: int
    done: int
    counts: dict[str, int]
    detail: str | None
    created_by: str
    created_at: datetime
    finished_at: datetime | None
