"""Enrollment facts over the agency protocol (docs/agency-protocol.md "Enrollment facts"):
which agency answers which household fact, the question asked, and how a condition is tested.

The bureau never asks for a record; it asks whether one condition of the county's policy holds
for one child on the policy's reference date ("居住证 held ≥ 12 months on 2025-08-31, at the
home address declared"), and the agency answers `holds` true / false (null: no record), signed.
Pure: shared by enrollment (the asking side) and the simulators (the answering side).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Literal

FACT_AGENCY = {
    "hukou_local": "hukou",  # 户籍 in the county (公安)
    "migrant": "hukou",  # 户籍 outside the county: 随迁子女 (公安)
    "has_residence_permit": "permit",  # 居住证 valid on the day (公安)
    "residence_permit_months": "permit",  # 居住证 held, whole months to the day (公安)
    "owns_home": "estate",  # 不动产登记: the family owns the declared home
    "rents_home": "estate",  # 不动产登记 / 住建: a registered lease of the declared home
    "social_insurance_months": "social",  # 人社: months of contributions in the county
}
AGENCY_NAMES = {
    "hukou": "公安 户籍 / public security, household registration",
    "permit": "公安 居住证 / public security, residence permits",
    "estate": "不动产登记 / real-estate and lease registration",
    "social": "人社 社保 / human resources and social security",
}
# facts whose condition is tested against the declared home address as well
ADDRESS_FACTS = frozenset(
    {"has_residence_permit", "residence_permit_months", "owns_home", "rents_home"}
)
Op = Literal["is", "gte", "lte"]


@dataclass(frozen=True, slots=True)
class Question:
    """One condition of the county's policy, asked of one agency about one child."""

    fact: str
    op: Op
    value: bool | int
    county_code: str
    on: date
    address: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "fact": self.fact,
            "op": self.op,
            "value": self.value,
            "county_code": self.county_code,
            "on": self.on.isoformat(),
            "address": self.address,
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> Question:
        return cls(
            fact=str(data["fact"]),
            op=data["op"],
            value=data["value"],
            county_code=str(data["county_code"]),
            on=date.fromisoformat(str(data["on"])),
            address=data.get("address"),
        )


def holds(op: Op, measured: bool | int, value: bool | int) -> bool:
    """A condition on a measured fact: `is` for yes/no facts, `gte`/`lte` for months."""
    if op == "is":
        return bool(measured) is bool(value)
    if op == "gte":
        return int(measured) >= int(value)
    return int(measured) <= int(value)


def same_address(a: str | None, b: str | None) -> bool:
    """Addresses compared as registered: whitespace and full-width spaces ignored."""
    if a is None or b is None:
        return False
    return "".join(a.split()) == "".join(b.split())


def proved_text(question: Question, answered: bool | None) -> str:
    """What an answer proves, in Chinese and English (shown to the family)."""
    return _proved_text(question.fact, question.value, question.county_code, question.on, answered)


# a county's re-check words the same few conditions 200,000 times (typed: True is not 1)
@lru_cache(maxsize=4096, typed=True)
def _proved_text(
    fact: str, value: bool | int, county_code: str, day: date, answered: bool | None
) -> str:
    on = day.isoformat()
    at = "，地址与申报住址一致" if fact in ADDRESS_FACTS else ""
    at_en = ", at the declared home address" if fact in ADDRESS_FACTS else ""
    if answered is None:
        return f"无相关登记记录 / no record held ({fact})"
    not_zh, not_en = ("", "") if answered else ("不", "not ")
    texts = {
        "hukou_local": (f"户籍{not_zh}在本县 {county_code}", "户籍 in the county"),
        "migrant": (f"户籍{not_zh}在本县以外 (随迁子女)", "户籍 outside the county"),
        "has_residence_permit": (f"{on} 居住证{not_zh}有效{at}", f"居住证 valid on {on}{at_en}"),
        "residence_permit_months": (
            f"截至 {on} 居住证持有{not_zh}满 {value} 个月{at}",
            f"居住证 held ≥ {value} months on {on}{at_en}",
        ),
        "owns_home": (f"{not_zh}拥有申报住址的房产 (不动产登记)", "owns the declared home"),
        "rents_home": (
            f"{on} {not_zh}有登记备案的租赁合同{at}",
            f"registered lease on {on}{at_en}",
        ),
        "social_insurance_months": (
            f"截至 {on} 在本县缴纳社保{not_zh}满 {value} 个月",
            f"≥ {value} months of 社保 in the county by {on}",
        ),
    }
    zh, en = texts.get(fact, (fact, fact))
    return f"{zh} / {not_en}{en}" if not answered else f"{zh} / {en}"
