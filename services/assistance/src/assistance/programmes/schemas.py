"""Programme catalogue over HTTP: ProgrammePut / ProgrammeRead, StandardCreate / StandardRead."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assistance.categories import CATEGORIES
from junheng_kit.i18n import RuleError
from junheng_kit.i18n import t as tt


def check_scope(value: str) -> str:
    if not re.fullmatch(r"\d{2}|\d{4}|\d{6}", value):
        raise RuleError(
            "scope_code_format",
            tt(
                "GB/T 2260 代码前缀为 2 位（省）、4 位（地市）或 6 位（区县）数字",
                "a GB/T 2260 prefix of 2 (province), 4 (city) or 6 (county) digits",
            ),
        )
    return value


def check_categories(values: list[str]) -> list[str]:
    unknown = [v for v in values if v not in CATEGORIES]
    if unknown:
        raise RuleError(
            "category_known",
            tt(f"未知的类别 {', '.join(unknown)}", f"unknown categories {', '.join(unknown)}"),
        )
    if len(set(values)) != len(values):
        raise RuleError("categories_unique", tt("同一类别被列出两次", "a category is listed twice"))
    return values


class ProgrammePut(BaseModel):
    """A new version of a county or provincial programme (national ones come with the catalogue)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, examples=["东胜区寄宿生交通补助"])
    scope_code: str = Field(description="GB/T 2260 prefix it applies in", examples=["150602"])
    benefit: Literal["cash", "in_kind"] = "cash"
    auto: bool = Field(False, description="免申即享: proposed from agency categories")
    eligible_categories: list[str] = Field(
        default_factory=list, description="category codes; [] = every pupil"
    )
    priority_categories: list[str] = Field(
        default_factory=list,
        description="served first when places or funds are limited (e.g. seed 000: 孤儿, "
        "事实无人抚养儿童, 农村留守儿童, 困境儿童 for boarding, transport, meals); each 应助尽助 "
        "job marks the awards of pupils an agency lists in one (`priority`)",
        examples=[["orphan", "de_facto_unsupported", "left_behind_child", "hardship_child"]],
    )
    publicity_shows_category: bool = Field(
        False, description="may the 公示 list show the category (default no: minimisation)"
    )
    effective_from: date
    source: str = Field(min_length=1, max_length=500, description="the county's document")

    _scope = field_validator("scope_code")(check_scope)
    _categories = field_validator("eligible_categories", "priority_categories")(check_categories)


class ProgrammeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    version: int
    name: str
    kind: Literal["national", "local"]
    scope_code: str = Field(description='"" national, else the GB/T 2260 prefix')
    benefit: str
    auto: bool
    eligible_categories: list[str]
    priority_categories: list[str] = Field(
        description="served first when places or funds are limited; [] none"
    )
    publicity_shows_category: bool
    effective_from: date
    source: str
    changed_by: str
    created_at: datetime


class ProgrammeList(BaseModel):
    items: list[ProgrammeRead]


class RateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Literal["primary", "junior"] | None = Field(None, description="null = any level")
    boarding: bool | None = Field(None, description="寄宿生; null = either")
    amount_yuan: Decimal = Field(ge=0, max_digits=12, decimal_places=2)


class TierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z_]{1,30}$", examples=["especially_difficult"])
    name: str = Field(min_length=1, max_length=30, examples=["特别困难"])
    rank: int = Field(ge=1, description="1 = highest; categories default to it")
    factor: Decimal = Field(gt=0, le=10, max_digits=6, decimal_places=4)


class TermShare(BaseModel):
    model_config = ConfigDict(extra="forbid")

    term: Literal["autumn", "spring"]
    share: Decimal = Field(gt=0, le=1, max_digits=5, decimal_places=4)


class StandardCreate(BaseModel):
    """资助标准: amounts from `effective_from` on in a scope; past awards keep theirs."""

    model_config = ConfigDict(extra="forbid")

    scope_code: str = Field(examples=["150602"])
    effective_from: date
    unit: Literal["per_year", "per_day"] = "per_year"
    days_per_year: int | None = Field(None, ge=1, le=366, description="for per_day")
    rates: list[RateIn] = Field(min_length=1)
    tiers: list[TierIn] = Field(default_factory=list, description="差异化 (PARAM); [] = one")
    payment_schedule: list[TermShare] = Field(
        default_factory=lambda: [
            TermShare(term="autumn", share=Decimal("0.5")),
            TermShare(term="spring", share=Decimal("0.5")),
        ]
    )
    funding_shares: dict[str, Decimal] = Field(
        default_factory=dict, description='e.g. {"central": "0.5", "local": "0.5"}'
    )
    source: str = Field(min_length=1, max_length=500)
    evidence: Literal["OFF", "SEC", "UNCONF", "DERIVED"] = "OFF"

    _scope = field_validator("scope_code")(check_scope)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.unit == "per_day" and self.days_per_year is None:
            raise RuleError(
                "days_per_year_required",
                tt("按天计算的标准需要 days_per_year", "a per-day standard needs days_per_year"),
            )
        if self.unit == "per_year" and self.days_per_year is not None:
            raise RuleError(
                "days_per_year_per_day_only",
                tt("只有按天计算的标准才有天数", "only a per-day standard has days"),
            )
        keys = [(r.level, r.boarding) for r in self.rates]
        if len(set(keys)) != len(keys):
            raise RuleError(
                "rates_unique",
                tt("同一学段和寄宿情况有两个金额", "two rates for the same level and boarding"),
            )
        if len({t.code for t in self.tiers}) != len(self.tiers) or len(
            {t.rank for t in self.tiers}
        ) != len(self.tiers):
            raise RuleError(
                "tiers_unique", tt("档次代码和排序必须唯一", "tier codes and ranks must be unique")
            )
        if sum((s.share for s in self.payment_schedule), Decimal(0)) != 1:
            raise RuleError(
                "payment_schedule_sums_to_1",
                tt("各学期份额之和必须为 1", "the term shares must add up to 1"),
            )
        if self.funding_shares and sum(self.funding_shares.values(), Decimal(0)) != 1:
            raise RuleError(
                "funding_shares_sum_to_1",
                tt("各级资金分担比例之和必须为 1", "the funding shares must add up to 1"),
            )
        return self

    def columns(self) -> dict[str, Any]:
        return {
            "scope_code": self.scope_code,
            "effective_from": self.effective_from,
            "unit": self.unit,
            "days_per_year": self.days_per_year,
            "rates": [r.model_dump(mode="json") for r in self.rates],
            "tiers": [t.model_dump(mode="json") for t in self.tiers],
            "payment_schedule": [s.model_dump(mode="json") for s in self.payment_schedule],
            "funding_shares": {k: str(v) for k, v in self.funding_shares.items()},
            "source": self.source,
            "evidence": self.evidence,
        }


class StandardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    programme_code: str
    scope_code: str
    effective_from: date
    unit: str
    days_per_year: int | None
    rates: list[dict[str, Any]]
    tiers: list[dict[str, Any]]
    payment_schedule: list[dict[str, Any]]
    funding_shares: dict[str, Any]
    source: str
    evidence: str
    created_by: str
    created_at: datetime


class StandardList(BaseModel):
    items: list[StandardRead]
    in_force: UUID | None = Field(
        None, description="with county_code and on: the standard in force for that county"
    )
