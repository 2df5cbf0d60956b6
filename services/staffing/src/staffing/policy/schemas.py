from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from junheng_kit.i18n import RuleError, t

Evidence = Literal["OFF", "SEC", "UNCONF", "DERIVED"]


class PolicyParameterCreate(BaseModel):
    """A value the county sets for its own scope; it wins over province and national rows."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(max_length=60, examples=["class_staff_ratio"])
    qualifier: str = Field("", max_length=60, examples=["primary"])
    value: str = Field(min_length=1, max_length=60, examples=["1.9"])
    effective_from: date
    effective_to: date | None = Field(None, description="exclusive; null = until changed")
    source: str = Field(min_length=1, max_length=500, examples=["东胜区编办〔2025〕3号"])
    evidence: Evidence = "OFF"

    @model_validator(mode="after")
    def _dates_in_order(self) -> "PolicyParameterCreate":
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise RuleError(
                "effective_dates_order",
                t(
                    "effective_to 必须晚于 effective_from",
                    "effective_to must be after effective_from",
                ),
            )
        return self


class PolicyRowRead(BaseModel):
    key: str
    qualifier: str
    value: str
    scope_code: str = Field(description='"" national, 2 digits province, 6 digits county')
    effective_from: date
    effective_to: date | None
    source: str = Field(description="the document the value comes from")
    evidence: str = Field(
        description="OFF official text, SEC secondary sources, UNCONF no source found, "
        "DERIVED computed"
    )
    unconfirmed: list[str] = Field(
        default_factory=list,
        description="what of the citation no official text confirms yet: document_number (the "
        "document is named, its 文号 unconfirmed)",
    )


class PolicyParameterRead(PolicyRowRead):
    id: int
    set_by: str
    set_at: datetime


class ParameterInForce(BaseModel):
    key: str
    qualifier: str
    unit: str
    description: str
    in_force: PolicyRowRead | None = Field(
        description="null: no value in force (no official value: the county sets it)"
    )


class ParametersInForce(BaseModel):
    county_code: str
    on: date
    parameters: list[ParameterInForce]
