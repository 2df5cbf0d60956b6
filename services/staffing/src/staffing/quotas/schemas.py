from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from junheng_kit.i18n import RuleError, t
from junheng_kit.identifiers import SchoolCode
from staffing.policy.schemas import PolicyRowRead

Area = Literal["urban", "county_town", "rural"]
Year = int
YEAR = Field(ge=2000, le=2100, description="school year by its start year: 2025 = 2025—2026学年")
Count = int
COUNT = Field(0, ge=0, le=100_000)


class EnrolmentEntry(BaseModel):
    """在校生 of one school for the year, by level; classes are optional (otherwise the
    seat-plan read model's planned classes count for 班师比)."""

    model_config = ConfigDict(extra="forbid")

    school_code: SchoolCode
    area: Area | None = Field(
        None,
        description="城区 / 镇区 / 乡村; null = rural if the registry marks the school rural, "
        "else urban (the 2001 ratios and the small-school priority in 统筹 read it)",
    )
    primary_pupils: Count = COUNT
    junior_pupils: Count = COUNT
    senior_pupils: Count = COUNT
    primary_classes: Count | None = Field(None, ge=0, le=10_000)
    junior_classes: Count | None = Field(None, ge=0, le=10_000)
    senior_classes: Count | None = Field(None, ge=0, le=10_000)
    boarding_pupils: Count = COUNT
    special_education_pupils: Count = COUNT

    @model_validator(mode="after")
    def _boarders_are_pupils(self) -> Self:
        pupils = self.primary_pupils + self.junior_pupils + self.senior_pupils
        if self.boarding_pupils > pupils:
            raise RuleError(
                "boarders_within_pupils", t("寄宿生多于学生数", "more boarders than pupils")
            )
        return self


class EnrolmentPut(BaseModel):
    """Every school's enrolment for a year; schools not listed keep what they had."""

    model_config = ConfigDict(extra="forbid")

    year: Year = YEAR
    schools: list[EnrolmentEntry] = Field(min_length=1, max_length=20_000)

    @model_validator(mode="after")
    def _one_row_per_school(self) -> Self:
        codes = [s.school_code for s in self.schools]
        if len(codes) != len(set(codes)):
            raise RuleError(
                "school_once_per_year", t("同一学校被列出两次", "a school is listed twice")
            )
        return self


class EnrolmentRead(EnrolmentEntry):
    year: int
    county_code: str
    entered_by: str
    entered_at: datetime


class EnrolmentList(BaseModel):
    items: list[EnrolmentRead]


class LedgerLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    school_code: SchoolCode
    approved_posts: int | None = Field(None, ge=0, le=100_000, description="the new total")
    change: int | None = Field(None, ge=-100_000, le=100_000, description="posts added (−: cut)")

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.approved_posts is None) == (self.change is None):
            raise RuleError(
                "approved_posts_or_change", t("两者必须恰好给出一个", "give exactly one of the two")
            )
        return self


class QuotaLedgerCreate(BaseModel):
    """编制核定 or 调整: one decision with its reason; every line becomes a ledger entry."""

    model_config = ConfigDict(extra="forbid")

    year: Year = YEAR
    kind: Literal["approval", "adjustment", "pooling"] = Field(
        description="approval: set totals; adjustment: changes; pooling (统筹): changes that "
        "sum to zero within the county"
    )
    reason: str = Field(min_length=1, max_length=500, examples=["2025学年编制核定"])
    reference: str | None = Field(None, max_length=100, examples=["东编发〔2025〕12号"])
    entries: list[LedgerLine] = Field(min_length=1, max_length=5_000)

    @model_validator(mode="after")
    def _lines_fit_kind(self) -> Self:
        codes = [e.school_code for e in self.entries]
        if len(codes) != len(set(codes)):
            raise RuleError(
                "school_once_per_decision", t("同一学校被列出两次", "a school is listed twice")
            )
        if self.kind == "pooling" and sum(e.change or 0 for e in self.entries) != 0:
            raise RuleError(
                "pooling_within_county_total",
                t(
                    "统筹在学校之间调配编制；变动之和为 0",
                    "统筹 (county pooling) moves posts between schools; changes sum to 0",
                ),
            )
        if self.kind == "pooling" and any(e.change is None for e in self.entries):
            raise RuleError(
                "pooling_as_changes",
                t("统筹行使用 `change`", "统筹 (county pooling) lines give `change`"),
            )
        return self


class LedgerEntryRead(BaseModel):
    id: UUID
    county_code: str
    school_code: str
    sequence: int = Field(description="per-school entry number")
    year: int
    kind: str
    change: int
    approved_after: int
    reason: str
    reference: str | None
    recorded_by: str
    recorded_at: datetime


class LedgerPage(BaseModel):
    items: list[LedgerEntryRead]
    next_cursor: str | None


class QuotaComponentRead(BaseModel):
    basis: str
    exact: Decimal
    explanation: str


class SchoolQuotaRead(BaseModel):
    school_code: str
    name: str
    area: Area
    pupils: dict[str, int]
    small_school: bool = Field(
        description="a rural school under the county's `small_school_pupils` (100): first to "
        "receive posts in 统筹; its 公用经费 count 100 pupils, its 编制 its real pupils"
    )
    required: int = Field(description="posts the standard requires, rounded")
    required_exact: Decimal
    components: list[QuotaComponentRead]
    approved: int | None = Field(description="核定编制 from the ledger; null = never approved")
    in_post: int = Field(description="在编 staff working at the school")
    substitutes: int = Field(description="代课 / 临聘 staff at the school")
    seconded_out: int = Field(description="the school's 在编 staff held elsewhere (借调)")
    status: Literal["over", "under", "balanced", "not_approved"] = Field(
        description="approved against required: over = 超编, under = 缺编"
    )
    balance: int | None = Field(description="approved − required")
    vacant_posts: int = Field(description="approved − in post, at least 0")
    staff_over_approved: int = Field(description="in post − approved, at least 0")
    unfilled_quota: bool = Field(description="有编不补: vacant posts while substitutes work there")
    holds_seconded_staff: bool = Field(description="借调: staff held outside the school")


class CountyQuotaTotals(BaseModel):
    required: int
    approved: int
    in_post: int
    substitutes: int
    seconded_out: int
    vacant_posts: int
    over_schools: int
    under_schools: int
    unfilled_quota_schools: int
    not_approved_schools: int


class CountyQuotaRead(BaseModel):
    county_code: str
    year: int
    on: date = Field(description="the date the policy is read for: 1 September of the year")
    quota_method: str
    rounding: str
    totals: CountyQuotaTotals
    schools: list[SchoolQuotaRead]
    schools_without_enrolment: list[str] = Field(
        description="schools of the county with no enrolment entered for the year (not counted)"
    )
    policy: list[PolicyRowRead] = Field(description="the policy rows the figures rest on")


class PostTransferRead(BaseModel):
    from_school: str
    to_school: str
    posts: int
    vacant_posts: int = Field(description="of which nobody fills now (no teacher moves)")


class PoolingProposalRead(BaseModel):
    county_code: str
    year: int
    method: Literal["greedy"] = "greedy"
    transfers: list[PostTransferRead]
    approved_before: dict[str, int]
    approved_after: dict[str, int]
    unmet_deficit: dict[str, int]
    remaining_surplus: dict[str, int]
    posts_moved: int
    county_approved_total: int = Field(description="unchanged by pooling")
    ledger_request: QuotaLedgerCreate | None = Field(
        description="the ledger decision that would carry the proposal out (kind pooling)"
    )
