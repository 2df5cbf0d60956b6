"""Bodies of the retention endpoints: rules, legal holds and purge records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from junheng_kit.classification import Sensitive
from junheng_kit.identifiers import CitizenId, CountyCode

ActionName = Literal["delete", "pseudonymise"]


class RetentionRulePut(BaseModel):
    """保存期限 of one kind in the scope from the date in the path on. No source the project holds
    gives a period: the example is an example, not a default."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "keep_months": 12,
                    "counted_from": "school_year_start",
                    "action": "pseudonymise",
                    "source": "示例 / example: 某区教育局个人信息保存期限规定（文件名称与文号）",
                }
            ]
        },
    )

    keep_months: int | None = Field(None, ge=1, le=1200, description="kept this many months")
    keep_days: int | None = Field(None, ge=1, le=36500, description="or this many days")
    counted_from: str = Field(
        max_length=40, description="the anchor the kind declares (see GET /v1/retention-rules)"
    )
    action: ActionName = Field(description="delete the records, or pseudonymise them")
    source: str = Field(min_length=2, max_length=500, description="the document setting it")


class RetentionRuleRead(BaseModel):
    scope_code: str
    kind: str
    effective_from: date
    keep_months: int | None
    keep_days: int | None
    counted_from: str
    action: ActionName
    source: str
    version: int
    updated_by: str
    updated_at: datetime


class RetentionKind(BaseModel):
    kind: str
    counted_from: str = Field(description="the anchor a rule of this kind counts from")
    actions: list[ActionName]
    description: str


class RetentionRuleList(BaseModel):
    county_code: str
    on: date
    kinds: list[RetentionKind] = Field(description="the kinds this service can purge")
    items: list[RetentionRuleRead] = Field(description="every rule covering the county")
    in_force: list[RetentionRuleRead] = Field(
        description="per kind, the rule in force on `on` (a kind absent here is never purged)"
    )


class LegalHoldPlace(BaseModel):
    """法律保全: one record (`record_id`) or every record of one child (`citizen_id`) of a kind."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "application.not_admitted",
                    "county_code": "150602",
                    "citizen_id": "150602201903150018",
                    "reason": "行政复议 2027-3 号 / administrative review no. 2027-3",
                }
            ]
        },
    )

    kind: str = Field(max_length=40)
    county_code: CountyCode
    record_id: str | None = Field(None, max_length=64, description="one record of the kind")
    citizen_id: Annotated[CitizenId | None, Sensitive] = Field(
        None, description="or every record of this child"
    )
    reason: str = Field(min_length=2, max_length=500)


class LegalHoldRead(BaseModel):
    id: UUID
    kind: str
    county_code: str
    record_id: str | None
    student_key: str | None = Field(description="the child's pseudonymous key, for holds by child")
    reason: str
    placed_by: str
    placed_at: datetime
    released_at: datetime | None
    released_by: str | None
    release_reason: str | None


class LegalHoldList(BaseModel):
    items: list[LegalHoldRead]


class PurgeRun(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"county_code": "150602"}]}
    )

    county_code: CountyCode


class PurgeRecordRead(BaseModel):
    id: UUID
    kind: str
    county_code: str
    rule_ref: str = Field(
        description='the rule applied, "<scope>/<kind>/<from>#<version>", or "no rule"'
    )
    rule_source: str | None
    cutoff: date | None = Field(description="records anchored on or before it were expired")
    action: ActionName | None
    count: int = Field(description="records deleted or pseudonymised")
    held: int = Field(description="expired records kept under a legal hold")
    ran_at: datetime
    ran_by: str = Field(description="who ran it: a client, or retention-sweep")


class PurgeRecordList(BaseModel):
    items: list[PurgeRecordRead]
