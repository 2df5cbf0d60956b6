"""电脑派位 compared: the run's mechanism against the other one on the same input and lottery
(how many families get their first choice, who fares better or worse). Pure: no I/O.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from enrollment.lottery.rules import Instance, Mechanism, Outcome, assign


@dataclass(frozen=True, slots=True)
class MechanismSummary:
    mechanism: Mechanism
    first_choice_share: float  # of all applicants
    rank_distribution: dict[str, int]  # "1", "2", … and "unassigned"


@dataclass(frozen=True, slots=True)
class Comparison:
    run: MechanismSummary
    other: MechanismSummary
    better_under_other: list[str]  # application ids with a better-ranked school under `other`
    worse_under_other: list[str]
    unchanged: int


def _ranks(instance: Instance, outcome: Outcome) -> dict[str, int | None]:
    return {
        a.application_id: (
            a.preferences.index(code) + 1
            if (code := outcome.assignments[a.application_id]) is not None
            else None
        )
        for a in instance.applicants
    }


def _summary(mechanism: Mechanism, ranks: Mapping[str, int | None]) -> MechanismSummary:
    counts = Counter("unassigned" if r is None else str(r) for r in ranks.values())
    order = sorted((k for k in counts if k != "unassigned"), key=int)
    distribution = {k: counts[k] for k in order}
    distribution["unassigned"] = counts["unassigned"]
    share = counts["1"] / len(ranks) if ranks else 0.0
    return MechanismSummary(mechanism, share, distribution)


def compare(instance: Instance) -> Comparison:
    """The instance's mechanism against the other one on the same input and lottery."""
    other_mechanism: Mechanism = (
        "immediate_acceptance"
        if instance.mechanism == "deferred_acceptance"
        else "deferred_acceptance"
    )
    other = Instance(
        instance.seed, other_mechanism, instance.tie_breaking, instance.schools, instance.applicants
    )
    mine, theirs = _ranks(instance, assign(instance)), _ranks(other, assign(other))
    unplaced = (
        len(instance.schools)
        + max((len(a.preferences) for a in instance.applicants), default=0)
        + 1
    )
    better, worse = [], []
    for application_id, rank in mine.items():
        a, b = rank or unplaced, theirs[application_id] or unplaced
        if b < a:
            better.append(application_id)
        elif b > a:
            worse.append(application_id)
    return Comparison(
        _summary(instance.mechanism, mine),
        _summary(other_mechanism, theirs),
        sorted(better),
        sorted(worse),
        len(mine) - len(better) - len(worse),
    )
