"""Bodies of the ledger and the family's access log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from assistance.ledger.models import LedgerEntry
from junheng_kit.classification import Sensitive
from junheng_kit.identifiers import CitizenId


class LedgerVerifyRead(BaseModel):
    intact: bool
    entries: int
    head_hash: str
    algorithm: str | None = Field(
        description="the hash that links the head entry: sha256, or sm3 under the 国密 profile "
        "(each entry names its own; null while the ledger is empty)"
    )


class AccessLogQuery(BaseModel):
    """POST body, so the citizen ID never sits in a URL or an access log."""

    model_config = ConfigDict(extra="forbid")

    citizen_id: Annotated[CitizenId, Sensitive]


class AccessLogEntryRead(BaseModel):
    """One query made about the child: when, which agency, why, on what basis, who, result."""

    seq: int
    recorded_at: datetime
    kind: str = Field(
        description="lookup | manual_evidence | list_match (an agency list compared with the "
        "roster matched the child)"
    )
    agency: str
    agency_name: str
    purpose: str
    legal_basis: str | None
    consent_ref: str | None
    actor: str = Field(description="the client that asked")
    outcome: str = Field(
        description="matched | not_matched | unavailable | refused | manual | partial_match"
    )
    answer_id: str | None

    @classmethod
    def of(cls, entry: LedgerEntry, agency_name: str) -> AccessLogEntryRead:
        return cls.model_validate(
            {
                **{k: getattr(entry, k) for k in cls.model_fields if k != "agency_name"},
                "agency_name": agency_name,
            }
        )


class AccessLogRead(BaseModel):
    """查询记录: every agency lookup about one child (family-visible)."""

    student_id: UUID | None
    student_key: str
    entries: list[AccessLogEntryRead]
