"""Pure rules of the enrollment facts: which conditions an application's tier needs checked by
an agency, what each answer makes of a fact, and where the application goes next.

Nothing here reads a database, a clock or the network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from enrollment.admission.rules import TRANSITIONS, Condition, Status, Tier
from junheng_kit.agency.facts import AGENCY_NAMES, FACT_AGENCY
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError

FactStatus = Literal["verified", "contradicted", "unavailable"]
Outcome = Literal["verified", "contradicted", "unavailable", "nothing_to_check", "no_basis"]
OPEN = frozenset({"submitted", "verifying", "needs_documents", "verified"})

# the checklist document a verified fact stands for (材料非必要不提供: not asked again)
FACT_DOCUMENT = {
    "hukou_local": "hukou_booklet",
    "migrant": "hukou_booklet",
    "has_residence_permit": "residence_permit",
    "residence_permit_months": "residence_permit",
    "owns_home": "property_deed",
    "rents_home": "registered_lease",
    "social_insurance_months": "social_insurance",
}
_OPS = {"is": "=", "gte": "≥", "lte": "≤"}


@dataclass(frozen=True, slots=True)
class Needed:
    """One condition of a tier the application holds, to be asked of `agency`."""

    condition: Condition
    tier: int
    tier_name: str

    @property
    def key(self) -> str:
        return condition_key(self.condition)

    @property
    def agency(self) -> str:
        return FACT_AGENCY[self.condition.fact]

    @property
    def rule(self) -> str:
        c = self.condition
        value = str(c.value).lower() if isinstance(c.value, bool) else c.value
        return f"第{self.tier}档「{self.tier_name}」: {c.fact} {_OPS[c.op]} {value}"[:300]


def condition_key(condition: Condition) -> str:
    value = int(condition.value)
    return f"{condition.fact}:{condition.op}:{value}"


def needed_conditions(tiers: Sequence[Tier], held: Iterable[int]) -> list[Needed]:
    """The agency-held conditions of the tiers the application holds at its choices (each
    once, in the policy's order): the zone facts are the bureau's own map, not asked."""
    held_tiers = set(held)
    out: dict[str, Needed] = {}
    for tier in tiers:
        if tier.tier not in held_tiers:
            continue
        for condition in tier.all_of:
            if condition.fact in FACT_AGENCY:
                out.setdefault(condition_key(condition), Needed(condition, tier.tier, tier.name))
    return list(out.values())


def fact_status(answered: bool, holds: bool | None) -> FactStatus:
    """An answer that holds verifies the fact; one that does not (or no record) contradicts it;
    no valid answer (down, breaker open, refused) leaves it unavailable → manual evidence."""
    if not answered:
        return "unavailable"
    return "verified" if holds is True else "contradicted"


def outcome_of(statuses: Sequence[FactStatus]) -> Outcome:
    if not statuses:
        return "nothing_to_check"
    if "contradicted" in statuses:
        return "contradicted"
    if "unavailable" in statuses:
        return "unavailable"
    return "verified"


def documents_proved(facts: Mapping[str, FactStatus]) -> list[str]:
    """Checklist documents every asked fact of which was verified (by fact name)."""
    by_document: dict[str, list[FactStatus]] = {}
    for fact, status in facts.items():
        by_document.setdefault(FACT_DOCUMENT[fact], []).append(status)
    return [d for d, s in by_document.items() if all(x == "verified" for x in s)]


def path_to(current: str, outcome: Outcome, *, documents_missing: bool) -> list[Status]:
    """The review states the application passes through (each an allowed transition of
    admission's TRANSITIONS): all verified → `verified` (when no document remains to show);
    a contradiction → `needs_documents`; an agency unavailable → `verifying` (manual evidence)."""
    if current not in OPEN or outcome in ("nothing_to_check", "no_basis"):
        return []
    target: Status
    if outcome == "verified":
        target = "verifying" if documents_missing else "verified"
    elif outcome == "contradicted":
        target = "needs_documents"
    else:
        target = "verifying"
    path: list[Status] = []
    state: Status = current  # type: ignore[assignment]
    while state != target:
        step: Status = target if target in TRANSITIONS[state] else "verifying"
        if step not in TRANSITIONS[state]:
            return []
        path.append(step)
        state = step
    return path


def agency_label(code: str) -> str:
    return AGENCY_NAMES.get(code, code)


def reason(
    outcome: Outcome, problems: Sequence[tuple[str, str, str]], missing: Sequence[str]
) -> str:
    """The status reason the family reads, Chinese / English. `problems`: (fact, agency,
    detail) of the facts not verified; `missing`: documents still to show."""
    if outcome == "verified" and not missing:
        return "入学条件已经数据共享核验 / every fact of the tier verified through data sharing"
    if outcome == "verified":
        return (
            f"数据共享已核验，仍需提供: {', '.join(missing)} / facts verified through data "
            f"sharing; still to show: {', '.join(missing)}"
        )[:500]
    listed = "; ".join(
        f"{fact} ({agency_label(agency)}): {detail}" for fact, agency, detail in problems
    )
    if outcome == "contradicted":
        return f"核验结果与申报不符，请补充材料 / the agencies contradict: {listed}"[:500]
    return (
        f"部门暂时无法核验，等待人工核验材料 / waiting for manual evidence, an agency could "
        f"not answer: {listed}"
    )[:500]


def undefined_facts(requested: Sequence[str], tiers: Sequence[Tier]) -> list[FieldError]:
    """Facts asked for on demand that no tier of the county's policy tests (the county defined
    no condition, hence no duration, for them): `facts[i]`, rule fact_in_policy."""
    defined = {c.fact for t in tiers for c in t.all_of}
    errors = []
    for i, fact in enumerate(requested):
        if fact not in defined:
            errors.append(
                FieldError(
                    f"facts[{i}]",
                    "fact_in_policy",
                    t(
                        f"本县招生政策未规定 {fact}",
                        f"the county's policy defines no condition on {fact}",
                    ),
                )
            )
        elif fact not in FACT_AGENCY:
            errors.append(
                FieldError(
                    f"facts[{i}]",
                    "fact_held_by_agency",
                    t(
                        f"{fact} 由学区地图判定,不经数据共享"
                        f"(可核验:{', '.join(sorted(FACT_AGENCY))})",
                        f"{fact} is the bureau's zone map's, no agency holds it "
                        f"(asked: {', '.join(sorted(FACT_AGENCY))})",
                    ),
                )
            )
    return errors
