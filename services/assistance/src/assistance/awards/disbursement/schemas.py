"""资金发放 over HTTP. Money is yuan as a decimal string ("625.00")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistance.awards.awards.schemas import Money
from junheng_kit.i18n import RuleError, t
from junheng_kit.identifiers import CountyCode


class DisbursementLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    award_id: UUID
    amount_yuan: Money = Field(gt=0, max_digits=12, decimal_places=2)


class DisbursementCreate(BaseModel):
    """资金发放: one batch of payments (date, channel), each ≤ what the award has left."""

    model_config = ConfigDict(extra="forbid")

    county_code: CountyCode
    paid_on: date
    channel: Literal["social_security_card", "bank_card", "cash", "other"] = Field(
        description="社保卡 / 银行卡 / 现金 / other"
    )
    reference: str | None = Field(None, max_length=100, description="bank batch number etc.")
    items: list[DisbursementLine] = Field(min_length=1, max_length=10_000)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        ids = [i.award_id for i in self.items]
        if len(set(ids)) != len(ids):
            raise RuleError(
                "award_once_per_batch",
                t("同一资助在批次中出现两次", "an award appears twice in the batch"),
            )
        return self


class DisbursementItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    award_id: UUID
    amount_yuan: Money


class DisbursementRead(BaseModel):
    id: UUID
    county_code: str
    paid_on: date
    channel: str
    reference: str | None
    total_yuan: Money
    recorded_by: str
    created_at: datetime
    items: list[DisbursementItemRead]
