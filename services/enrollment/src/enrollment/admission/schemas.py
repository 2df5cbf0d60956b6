"""Admission API shapes: priority policies, applications, review and verification."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from enrollment.admission.rules import BOOLEAN_FACTS, DOCUMENTS, FACTS, MONTH_FACTS
from enrollment.facts.schemas import DataSharing
from enrollment.lottery.commute.schemas import CommuteCheckRead
from junheng_kit.classification import Personal, Sensitive
from junheng_kit.i18n import RuleError
from junheng_kit.i18n import t as tt
from junheng_kit.identifiers import CitizenId, CountyCode, SchoolCode, StudentNumber

Year = Annotated[int, Field(ge=2000, le=2100, description="school year by its start year")]
Document = Literal[
    "hukou_booklet",
    "property_deed",
    "registered_lease",
    "residence_permit",
    "lawful_job",
    "social_insurance",
]
assert set(Document.__args__) == set(DOCUMENTS)  # type: ignore[attr-defined]
FactName = Literal[
    "hukou_local",
    "migrant",
    "hukou_in_zone",
    "home_in_zone",
    "owns_home",
    "rents_home",
    "has_residence_permit",
    "own_primary_leaver",
    "residence_permit_months",
    "social_insurance_months",
]
assert set(FactName.__args__) == set(FACTS)  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- priority policy (招生政策)


class ConditionIn(_Strict):
    """One test on a household fact: `is` for yes/no facts, `gte`/`lte` for month counts.
    `own_primary_leaver` (九年一贯制对口, junior policies only): the school is the 九年一贯制学校
    the child leaves primary at."""

    fact: FactName
    op: Literal["is", "gte", "lte"]
    value: bool | int

    @model_validator(mode="after")
    def _typed(self) -> Self:
        if self.fact in BOOLEAN_FACTS and (self.op != "is" or not isinstance(self.value, bool)):
            raise RuleError(
                "condition_boolean",
                tt(
                    f"{self.fact} 用 op 'is' 和 true/false 检验",
                    f"{self.fact} is tested with op 'is' and true/false",
                ),
            )
        if self.fact in MONTH_FACTS and (
            self.op == "is" or isinstance(self.value, bool) or self.value < 0
        ):
            raise RuleError(
                "condition_months",
                tt(
                    f"{self.fact} 用 'gte'/'lte' 和 ≥ 0 的整月数检验",
                    f"{self.fact} is tested with 'gte'/'lte' and whole months ≥ 0",
                ),
            )
        return self


class TierIn(_Strict):
    tier: int = Field(ge=1, le=20, description="1 is the highest priority")
    name: str = Field(min_length=1, max_length=100, examples=["户籍+房产 in zone (房户一致)"])
    all_of: list[ConditionIn] = Field(
        max_length=20, description="every condition must hold; an empty list matches everyone"
    )


class DocumentChecklist(_Strict):
    local: list[Document] = Field(default_factory=list, description="本地户籍 children")
    migrant: list[Document] = Field(default_factory=list, description="随迁子女")

    @field_validator("local", "migrant")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise RuleError(
                "documents_unique", tt("同一材料被列出两次", "a document is listed twice")
            )
        return value


_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


class PriorityPolicyPut(_Strict):
    """A county's published admission rules for one level and school year (a new version)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "effective_from": "2025-05-01",
                    "source": "东胜区2025年义务教育阶段招生入学工作方案",
                    "reference_date": "2025-08-31",
                    "entry_age_cutoff": "08-31",
                    "tiers": [
                        {
                            "tier": 1,
                            "name": "户籍与房产均在片区 (房户一致)",
                            "all_of": [
                                {"fact": "hukou_in_zone", "op": "is", "value": True},
                                {"fact": "home_in_zone", "op": "is", "value": True},
                                {"fact": "owns_home", "op": "is", "value": True},
                            ],
                        },
                        {
                            "tier": 2,
                            "name": "户籍在片区",
                            "all_of": [{"fact": "hukou_in_zone", "op": "is", "value": True}],
                        },
                        {
                            "tier": 3,
                            "name": "本地户籍、居住在片区",
                            "all_of": [
                                {"fact": "hukou_local", "op": "is", "value": True},
                                {"fact": "home_in_zone", "op": "is", "value": True},
                            ],
                        },
                        {
                            "tier": 4,
                            "name": "随迁子女 (居住证 ≥ 12 个月, 社保 ≥ 12 个月)",
                            "all_of": [
                                {"fact": "migrant", "op": "is", "value": True},
                                {"fact": "home_in_zone", "op": "is", "value": True},
                                {"fact": "residence_permit_months", "op": "gte", "value": 12},
                                {"fact": "social_insurance_months", "op": "gte", "value": 12},
                            ],
                        },
                    ],
                    "documents": {
                        "local": ["hukou_booklet", "property_deed"],
                        "migrant": [
                            "hukou_booklet",
                            "residence_permit",
                            "registered_lease",
                            "lawful_job",
                            "social_insurance",
                        ],
                    },
                }
            ]
        },
    )

    effective_from: date = Field(description="the day this version takes effect")
    source: str = Field(min_length=2, max_length=300, description="the published notice it encodes")
    reference_date: date = Field(
        description="months of 居住证 and social insurance are counted up to this day"
    )
    entry_age_cutoff: str = Field(
        "08-31",
        description="grade 1 takes children 6 years old on or before this day (MM-DD, inclusive)",
    )
    tiers: list[TierIn] = Field(min_length=1, max_length=20, description="first match wins")
    documents: DocumentChecklist = Field(default_factory=DocumentChecklist)
    data_sharing: DataSharing | None = None  # issue 22: enrollment/facts

    @field_validator("entry_age_cutoff")
    @classmethod
    def _month_day(cls, value: str) -> str:
        if not _MONTH_DAY.match(value):
            raise RuleError(
                "entry_age_cutoff_format",
                tt("月和日，MM-DD，例如 08-31", "a month and day, MM-DD, e.g. 08-31"),
            )
        return value

    @field_validator("tiers")
    @classmethod
    def _ordered(cls, tiers: list[TierIn]) -> list[TierIn]:
        numbers = [t.tier for t in tiers]
        if numbers != sorted(set(numbers)):
            raise RuleError(
                "tiers_ordered",
                tt(
                    "各档次只列一次，最优（最小）的在前",
                    "tiers are listed once each, best (lowest) first",
                ),
            )
        return tiers


class PriorityPolicyRead(PriorityPolicyPut):
    id: UUID
    county_code: str
    year: int
    level: Literal["primary", "junior"]
    version: int
    document_sha256: str
    created_by: str
    created_at: datetime


class PriorityPolicyVersions(BaseModel):
    items: list[PriorityPolicyRead]


# ---------------------------------------------------------------- applications (入学申请)


class Point(_Strict):
    longitude: Annotated[float, Sensitive] = Field(ge=73.0, le=135.5, examples=[109.985])
    latitude: Annotated[float, Sensitive] = Field(ge=3.5, le=53.6, examples=[39.815])


class Child(_Strict):
    citizen_id: Annotated[CitizenId, Sensitive] = Field(
        description="公民身份号码, GB 11643 (checked, MOD 11-2)"
    )
    name: Annotated[str, Sensitive] = Field(min_length=1, max_length=50)
    birth_date: Annotated[date, Sensitive]
    student_number: Annotated[StudentNumber | None, Sensitive] = Field(
        None,
        description="全国学籍号, when the child has one (a grade-7 applicant has): G + the "
        "citizen ID given above, J + 18 characters by the citizen-ID rule (MOD 11-2), or a "
        "temporary L number; upper-cased",
        examples=["G150602201903150018"],
    )


class Guardian(_Strict):
    name: Annotated[str, Personal] = Field(min_length=1, max_length=50)
    relation: Annotated[Literal["father", "mother", "grandparent", "other"], Personal]
    phone: Annotated[str, Personal] = Field(
        pattern=r"^1\d{10}$", description="mainland mobile number"
    )


class Hukou(_Strict):
    """户籍: where the child's household is registered."""

    county_code: Annotated[CountyCode, Personal]
    type: Annotated[Literal["urban", "rural"], Personal] = Field(
        description="户口性质: 非农业/城镇 or 农业"
    )
    address: Annotated[str, Sensitive] = Field(min_length=2, max_length=200)
    location: Annotated[Point | None, Sensitive] = Field(
        None,
        description="where the 户籍 address lies, when it is in this county (for 户籍 in zone)",
    )


class ResidencePermit(_Strict):
    """居住证."""

    issued_on: Annotated[date, Personal]
    number: Annotated[str | None, Personal("citizen_id")] = Field(None, max_length=40)


class Household(_Strict):
    hukou: Annotated[Hukou, Personal]
    housing: Annotated[Literal["owned", "rented", "other"], Personal] = Field(
        description="the home the family lives in: 房产 owned, registered lease, other"
    )
    residence_permit: Annotated[ResidencePermit | None, Personal] = None
    social_insurance_months: Annotated[int, Personal] = Field(
        0, ge=0, le=600, description="the longer of the parents' continuous 社保 months"
    )


class Home(Point):
    address: Annotated[str, Sensitive] = Field(min_length=2, max_length=200)


class ApplicationCreate(_Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "county_code": "150602",
                    "year": 2025,
                    "grade": 1,
                    "child": {
                        "citizen_id": "150602201903150018",
                        "name": "王小明",
                        "birth_date": "2019-03-15",
                    },
                    "guardian": {"name": "王建国", "relation": "father", "phone": "13800000000"},
                    "household": {
                        "hukou": {
                            "county_code": "150602",
                            "type": "urban",
                            "address": "东胜区林荫街道",
                            "location": {"longitude": 109.985, "latitude": 39.815},
                        },
                        "housing": "owned",
                        "social_insurance_months": 36,
                    },
                    "home": {
                        "longitude": 109.985,
                        "latitude": 39.815,
                        "address": "东胜区林荫路1号",
                    },
                    "choices": ["2115000001"],
                }
            ]
        },
    )

    county_code: CountyCode = Field(description="the county the family applies in")
    year: Year
    grade: Literal[1, 7] = Field(description="entry grade: 1 (小学一年级) or 7 (初中一年级)")
    child: Annotated[Child, Sensitive]
    guardian: Annotated[Guardian, Personal]
    household: Annotated[Household, Personal]
    home: Annotated[Home, Sensitive]
    choices: list[SchoolCode] = Field(
        default_factory=list,
        max_length=10,
        description="ranked schools among the zone's options; may be omitted in a 单校 zone",
    )
    primary_school_code: SchoolCode | None = Field(
        None,
        description="小学毕业学校, grade 7 only: the registered school the child leaves primary "
        "at; at that school, when it is a 九年一贯制学校, the policy may test own_primary_leaver",
    )

    @field_validator("choices")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise RuleError("choices_unique", tt("同一学校被排列两次", "a school is ranked twice"))
        return value


class VerificationRead(BaseModel):
    document: str
    result: Literal["confirmed", "refuted", "pending"]
    source: str
    reason: str | None
    checked_by: str
    checked_at: datetime


class TransitionCreate(_Strict):
    to: Literal["verifying", "verified", "needs_documents", "rejected", "withdrawn"]
    reason: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _reason(self) -> Self:
        if self.to in ("rejected", "needs_documents") and not (self.reason or "").strip():
            raise RuleError(
                "reason_required",
                tt(
                    f"变为 {self.to} 需要一个家庭可读的理由",
                    f"moving to {self.to} needs a reason the family reads",
                ),
            )
        return self


class VerificationPut(_Strict):
    result: Literal["confirmed", "refuted", "pending"]
    source: str = Field(
        min_length=2, max_length=100, examples=["公安 居住证 register", "counter check of deed"]
    )
    reason: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _reason(self) -> Self:
        if self.result == "refuted" and not (self.reason or "").strip():
            raise RuleError(
                "reason_required",
                tt("被否定的材料需要说明理由", "a refuted document needs the reason"),
            )
        return self


class HistoryEntry(BaseModel):
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    reason: str | None
    detail: dict[str, object]


class ApplicationHistory(BaseModel):
    application_id: UUID
    items: list[HistoryEntry]


class PriorityAtSchool(BaseModel):
    school_code: str
    tier: int | None
    tier_name: str | None
    hukou_in_zone: Annotated[bool, Personal]
    home_in_zone: Annotated[bool, Personal]
    own_primary_leaver: bool = Field(description="九年一贯制对口: the child's own nine-year school")


class ApplicationPriorities(BaseModel):
    application_id: UUID
    policy_id: UUID
    policy_version: int
    facts: dict[str, bool | int]
    schools: list[PriorityAtSchool]


# ---------------------------------------------------------------- 统筹 and admissions


class OverflowOfferRead(BaseModel):
    application_id: str
    school_code: str | None = Field(description="null: no school of the level has a seat left")
    distance_km: float | None = Field(description="straight-line distance from the home")
    travel_minutes: float | None = Field(
        None,
        description="路途时间: estimated with the county's travel model (distance × detour "
        "factor ÷ speed), to 0.1 min; null without a model or a school (see `commute`)",
    )
    flags: list[Literal["over_commute_limit"]] = Field(
        default_factory=list,
        description="over_commute_limit: the trip exceeds the commute limit in force (seed 000, "
        "Inner Mongolia: 路途时间一般不超过半小时 for primary grades 1–3) — a finding, the offer "
        "stands",
    )
    full_within_limit: list[str] = Field(
        default_factory=list,
        description="for a flagged offer: schools within the limit that had no seat left at "
        "this family's turn (the offered school is the quickest one with a seat)",
    )


class OverflowProposalRead(BaseModel):
    run_id: str
    placed_by_run: int
    remaining_seats: dict[str, int] = Field(description="per school, after the run")
    offers: list[OverflowOfferRead] = Field(
        description="in service order: the run's single-tie-breaking lottery number, smaller "
        "first (SHA-256 of '{seed}:{application_id}')"
    )
    commute: CommuteCheckRead = Field(description="路途时间: the offers against the commute limit")


class AdmissionsConfirm(_Strict):
    overrides: dict[str, SchoolCode] = Field(
        default_factory=dict,
        description="application id → school: the bureau's own 统筹 choice for a family the "
        "run left unplaced (checked against the seats left)",
    )


class AdmissionRead(BaseModel):
    application_id: UUID
    student_number: Annotated[str | None, Sensitive] = Field(
        description="全国学籍号 of the child, when the family gave it"
    )
    school_code: str
    route: Literal["assignment", "overflow"]
    distance_km: float | None


class AdmissionsRead(BaseModel):
    run_id: str
    admitted: int
    by_route: dict[str, int]
    by_school: dict[str, int]
    still_unplaced: list[str]
    admissions: list[AdmissionRead]
    not_admitted: list[str] = Field(
        default_factory=list,
        description="families the run placed that are no longer verified (withdrawn, rejected "
        "or re-opened since): not admitted, their seats stay free",
    )
