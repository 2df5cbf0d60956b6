"""Events the assistance service publishes (stream ASSISTANCE ← `assistance.>`).

Personal data stays home: events name a child only by `student_key` (HMAC of the citizen ID with
the pseudonym key every service shares), never the citizen ID, the name or the aid category.
Money is in yuan as a decimal string (`"625.00"`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from junheng_contracts.classification import Personal, Public, stamp_default
from junheng_contracts.envelope import CloudEvent, EventData


class AwardApprovedData(EventData):
    """资助审批: the county approved one award after school review and 公示."""

    award_id: str = Field(description="award id (UUID)")
    student_key: Annotated[str, Personal] = Field(
        description="pseudonymous student key (HMAC of the citizen ID)"
    )
    county_code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 code of the award")
    school_code: str = Field(pattern=r"^\d{10}$", description="学校标识码 of the student's school")
    programme_code: str = Field(description="aid programme, e.g. living_subsidy")
    school_year: int = Field(description="school year by its start year: 2026 = 2026—2027学年")
    tier: str | None = Field(
        None, description="差异化 tier of the award, if the standard has tiers"
    )
    amount_yuan: Decimal = Field(description="yearly amount from the standard in force, yuan")
    standard_id: str = Field(description="the programme standard the amount comes from (UUID)")
    source: Literal["school", "auto"] = Field(description="school application or 免申即享")
    approved_on: date
    version: int = Field(description="award version; consumers skip stale events")


class AwardApproved(CloudEvent[AwardApprovedData]):
    """资助审批通过: an award was approved by the county."""

    source: Literal["junheng/assistance"] = "junheng/assistance"
    type: Literal["assistance.award.approved"] = "assistance.award.approved"


class DisbursementRecordedData(EventData):
    """资金发放: one payment of an award, recorded in a disbursement batch."""

    disbursement_id: str = Field(description="disbursement batch id (UUID)")
    award_id: str = Field(description="award id (UUID)")
    student_key: Annotated[str, Personal] = Field(
        description="pseudonymous student key (HMAC of the citizen ID)"
    )
    county_code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 code of the award")
    school_code: str = Field(pattern=r"^\d{10}$")
    programme_code: str
    school_year: int
    amount_yuan: Decimal = Field(description="paid in this record, yuan")
    paid_total_yuan: Decimal = Field(description="paid on the award so far, this record included")
    award_amount_yuan: Decimal = Field(description="the award's approved amount, yuan")
    paid_on: date
    channel: str = Field(description="social_security_card | bank_card | cash | other")
    version: int = Field(description="award version after the payment")


class DisbursementRecorded(CloudEvent[DisbursementRecordedData]):
    """资金发放记录: a payment of an award was recorded."""

    source: Literal["junheng/assistance"] = "junheng/assistance"
    type: Literal["assistance.disbursement.recorded"] = "assistance.disbursement.recorded"


class SchoolCoverage(BaseModel):
    """应助尽助 coverage of one school."""

    model_config = ConfigDict(frozen=True, json_schema_extra=stamp_default)

    school_code: Annotated[str, Public] = Field(pattern=r"^\d{10}$")
    students: Annotated[int, Public] = Field(ge=0, description="enrolled students scanned")
    eligible: Annotated[int, Public] = Field(
        ge=0, description="students in at least one agency category"
    )
    auto_identified: Annotated[int, Public] = Field(
        ge=0, description="eligible students found by the scan"
    )
    awarded: Annotated[int, Public] = Field(ge=0, description="eligible students holding an award")
    coverage: Annotated[float, Public] = Field(
        ge=0, description="auto_identified / eligible (0 when none eligible)"
    )


class CoverageComputedData(EventData):
    """应助尽助: the identification job's coverage of a county for a school year."""

    job_id: str = Field(description="identification job id (UUID)")
    county_code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 county code")
    school_year: int = Field(description="school year by its start year")
    as_of: date = Field(description="date of the agency lists the job matched against")
    students: int = Field(ge=0)
    eligible: int = Field(ge=0)
    auto_identified: int = Field(ge=0)
    awarded: int = Field(ge=0)
    coverage: float = Field(ge=0, description="auto_identified / eligible (0 when none eligible)")
    per_school: list[SchoolCoverage]


class CoverageComputed(CloudEvent[CoverageComputedData]):
    """应助尽助覆盖率: an identification job finished and computed the coverage."""

    source: Literal["junheng/assistance"] = "junheng/assistance"
    type: Literal["assistance.coverage.computed"] = "assistance.coverage.computed"


EVENTS: tuple[type[CloudEvent], ...] = (  # type: ignore[type-arg]
    AwardApproved,
    DisbursementRecorded,
    CoverageComputed,
)
