"""Priority rules (domain.md §2.2, §2.3): the household facts a priority policy can test, the
tier a policy gives an applicant at a school, and the conditions a level cannot have. Pure
functions over plain data; `enrollment.admission.rules` names them too.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from junheng_kit.i18n import t
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import whole_months

if TYPE_CHECKING:  # annotations only: rules.py imports this module
    from enrollment.admission.rules import Level

# facts a tier condition can test; the boolean ones are true/false, the others whole months
BOOLEAN_FACTS = frozenset(
    {
        "hukou_local",  # 户籍 in this county
        "migrant",  # 随迁子女: 户籍 outside this county
        "hukou_in_zone",  # 户籍 address inside the school's zone
        "home_in_zone",  # the family lives inside the school's zone
        "owns_home",  # 房产: the family owns the home it lives in
        "rents_home",  # registered lease
        "has_residence_permit",  # 居住证
        "own_primary_leaver",  # 九年一贯制对口: the school is the child's own nine-year school
    }
)
MONTH_FACTS = frozenset({"residence_permit_months", "social_insurance_months"})
FACTS = BOOLEAN_FACTS | MONTH_FACTS
# facts only some levels' policies may test: a grade-1 child leaves no primary school
FACT_LEVELS: dict[str, frozenset[Level]] = {"own_primary_leaver": frozenset({"junior"})}


@dataclass(frozen=True)
class Household:
    """The household facts a family declares (and the bureau verifies)."""

    hukou_county_code: str
    housing: Literal["owned", "rented", "other"]
    residence_permit_issued_on: date | None
    social_insurance_months: int

    @classmethod
    def from_document(cls, household: dict[str, Any]) -> Household:
        """The facts of an application's stored `household` JSON (the request's shape)."""
        permit = household.get("residence_permit")
        return cls(
            hukou_county_code=household["hukou"]["county_code"],
            housing=household["housing"],
            residence_permit_issued_on=date.fromisoformat(permit["issued_on"]) if permit else None,
            social_insurance_months=household.get("social_insurance_months", 0),
        )


def applicant_facts(
    household: Household, *, county_code: str, reference_date: date
) -> dict[str, bool | int]:
    """School-independent facts, measured on the policy's reference date."""
    local = household.hukou_county_code == county_code
    permit = household.residence_permit_issued_on
    return {
        "hukou_local": local,
        "migrant": not local,
        "owns_home": household.housing == "owned",
        "rents_home": household.housing == "rented",
        "has_residence_permit": permit is not None and permit <= reference_date,
        "residence_permit_months": 0 if permit is None else whole_months(permit, reference_date),
        "social_insurance_months": household.social_insurance_months,
    }


@dataclass(frozen=True)
class Condition:
    fact: str
    op: Literal["is", "gte", "lte"]
    value: bool | int


@dataclass(frozen=True)
class Tier:
    tier: int
    name: str
    all_of: tuple[Condition, ...]


def _holds(condition: Condition, facts: Mapping[str, bool | int]) -> bool:
    value = facts[condition.fact]
    if condition.op == "is":
        return bool(value) is bool(condition.value)
    if condition.op == "gte":
        return int(value) >= int(condition.value)
    return int(value) <= int(condition.value)


def tier_at(
    tiers: Sequence[Tier],
    facts: Mapping[str, bool | int],
    *,
    hukou_in_zone: bool,
    home_in_zone: bool,
    own_primary_leaver: bool = False,
) -> int | None:
    """The first tier (in the policy's order) whose conditions all hold at one school; None
    when none does — the applicant cannot be admitted there and is left to 统筹. The three
    school facts are the school's: in the 户籍 zone, in the home zone, the child's own
    九年一贯制 school (`own_nine_year_school`)."""
    at_school = {
        **facts,
        "hukou_in_zone": hukou_in_zone,
        "home_in_zone": home_in_zone,
        "own_primary_leaver": own_primary_leaver,
    }
    for tier in tiers:
        if all(_holds(c, at_school) for c in tier.all_of):
            return tier.tier
    return None


def own_nine_year_school(
    primary_school_code: str | None, nine_year_schools: Collection[str]
) -> str | None:
    """九年一贯制对口 (seed 003: "着力推行九年一贯制对口招生"): the one school where the child is an
    own primary leaver — the school it leaves primary at, when that school is a 九年一贯制学校
    (`junheng_kit.school_codes.is_nine_year_school`). None: no such school."""
    return primary_school_code if primary_school_code in nine_year_schools else None


def priorities(
    tiers: Sequence[Tier],
    facts: Mapping[str, bool | int],
    choices: Iterable[str],
    *,
    home_schools: frozenset[str],
    hukou_schools: frozenset[str],
    own_school: str | None = None,
) -> dict[str, int]:
    """Tier per chosen school (schools where no tier applies are left out); `own_school` is the
    child's own 九年一贯制 school (`own_nine_year_school`)."""
    result: dict[str, int] = {}
    for code in choices:
        tier = tier_at(
            tiers,
            facts,
            hukou_in_zone=code in hukou_schools,
            home_in_zone=code in home_schools,
            own_primary_leaver=code == own_school,
        )
        if tier is not None:
            result[code] = tier
    return result


def fact_level_errors(tiers: Sequence[Tier], level: Level) -> list[FieldError]:
    """A policy's conditions on facts its level cannot have (`FACT_LEVELS`): own_primary_leaver
    in a primary policy. Fields are named as the request's (`tiers.<i>.all_of.<j>.fact`)."""
    label = {"primary": "小学", "junior": "初中"}
    errors = []
    for i, tier in enumerate(tiers):
        for j, condition in enumerate(tier.all_of):
            levels = sorted(FACT_LEVELS.get(condition.fact, frozenset({level})))
            if level in levels:
                continue
            errors.append(
                FieldError(
                    f"tiers.{i}.all_of.{j}.fact",
                    "fact_for_level",
                    t(
                        f"{condition.fact} 只适用于{'、'.join(label[lv] for lv in levels)}招生，"
                        f"不适用于 {level}",
                        f"{condition.fact} applies to {', '.join(levels)} admissions only, not "
                        f"{level}",
                    ),
                )
            )
    return errors
