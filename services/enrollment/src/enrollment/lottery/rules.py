"""电脑派位: public lottery numbers, deferred and immediate acceptance, explanations.

Pure: no I/O. Lottery numbers are the lowercase hex SHA-256 of `"{seed}:{application_id}"`
(single tie-breaking) or `"{seed}:{school_code}:{application_id}"` (multiple); the smaller hex
string is better. A school ranks applicants by (tier ascending, lottery ascending) and never
admits an applicant without a tier there.
"""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, compress, repeat
from operator import attrgetter
from typing import Literal

import numpy as np
import numpy.typing as npt

from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, RuleViolated

Mechanism = Literal["deferred_acceptance", "immediate_acceptance"]
TieBreaking = Literal["single", "multiple"]
Reason = Literal[
    "tier_below_cutoff",
    "lottery_worse_than_cutoff",
    "not_eligible",
    "full_in_earlier_round",
    "no_seats",
]


@dataclass(frozen=True, slots=True)
class School:
    code: str
    capacity: int  # >= 0, enforced by the schema


@dataclass(frozen=True, slots=True)
class Applicant:
    application_id: str
    preferences: tuple[str, ...]  # most wanted first
    priorities: Mapping[str, int]  # school code -> tier; 1 beats 2; absent: not eligible


@dataclass(frozen=True, slots=True)
class Instance:
    seed: str
    mechanism: Mechanism
    tie_breaking: TieBreaking
    schools: Sequence[School]
    applicants: Sequence[Applicant]


@dataclass(frozen=True, slots=True)
class Cutoff:
    """The last admitted applicant's tier and lottery number at a full school."""

    tier: int
    lottery: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why an applicant did not get a school it ranked above the one it received."""

    school_code: str
    reason: Reason
    tier: int | None  # the applicant's tier there; None when not eligible
    lottery: str  # the applicant's lottery number at that school
    cutoff_tier: int | None
    cutoff_lottery: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    assignments: dict[str, str | None]
    cutoffs: dict[str, Cutoff | None]
    explanations: dict[str, list[Explanation]]
    lotteries: dict[str, str] | None  # single tie-breaking only: one number per applicant


def lottery(seed: str, application_id: str, school_code: str | None = None) -> str:
    """The public lottery number; pass `school_code` for multiple tie-breaking."""
    text = (
        f"{seed}:{application_id}"
        if school_code is None
        else f"{seed}:{school_code}:{application_id}"
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def validate(instance: Instance) -> None:
    """Every field error of the instance at once; raises `RuleViolated` if there is one."""
    errors: list[FieldError] = []
    codes: dict[str, int] = {}
    for i, school in enumerate(instance.schools):
        if school.code in codes:
            errors.append(
                FieldError(
                    f"schools[{i}].school_code",
                    "school_code_unique",
                    t(
                        f"{school.code} 与 schools[{codes[school.code]}] 重复",
                        f"{school.code} is also schools[{codes[school.code]}]",
                    ),
                )
            )
        else:
            codes[school.code] = i
    ids: dict[str, int] = {}
    for i, applicant in enumerate(instance.applicants):
        if applicant.application_id in ids:
            errors.append(
                FieldError(
                    f"applicants[{i}].application_id",
                    "application_id_unique",
                    t(
                        f"{applicant.application_id} 与 "
                        f"applicants[{ids[applicant.application_id]}] 重复",
                        f"{applicant.application_id} is also "
                        f"applicants[{ids[applicant.application_id]}]",
                    ),
                )
            )
        else:
            ids[applicant.application_id] = i
        seen: dict[str, int] = {}
        for j, code in enumerate(applicant.preferences):
            if code not in codes:
                errors.append(
                    FieldError(
                        f"applicants[{i}].preferences[{j}]",
                        "school_in_instance",
                        t(f"{code} 不在 `schools` 中", f"{code} is not in `schools`"),
                    )
                )
            if code in seen:
                errors.append(
                    FieldError(
                        f"applicants[{i}].preferences[{j}]",
                        "preference_unique",
                        t(
                            f"{code} 与 preferences[{seen[code]}] 重复",
                            f"{code} is also preferences[{seen[code]}]",
                        ),
                    )
                )
            else:
                seen[code] = j
        for code in sorted(applicant.priorities):
            if code not in codes:
                errors.append(
                    FieldError(
                        f"applicants[{i}].priorities.{code}",
                        "school_in_instance",
                        t(f"{code} 不在 `schools` 中", f"{code} is not in `schools`"),
                    )
                )
    if errors:
        raise RuleViolated(
            t("派位实例数据不一致", "the assignment instance is inconsistent"), *errors
        )


@dataclass
class _Ranking:
    """Lottery numbers and rank keys, computed once per (applicant, school) pair."""

    instance: Instance
    _single: dict[str, str] = field(default_factory=dict)

    def lottery_at(self, applicant: Applicant, school_code: str) -> str:
        if self.instance.tie_breaking == "single":
            number = self._single.get(applicant.application_id)
            if number is None:
                number = lottery(self.instance.seed, applicant.application_id)
                self._single[applicant.application_id] = number
            return number
        return lottery(self.instance.seed, applicant.application_id, school_code)

    def key(self, applicant: Applicant, school_code: str) -> tuple[int, str]:
        """Smaller is better; only for eligible applicants."""
        return applicant.priorities[school_code], self.lottery_at(applicant, school_code)


IntArray = npt.NDArray[np.int64]


def _digest_order(digests: list[bytes]) -> IntArray:
    """Rank (0 = best) of each SHA-256 digest by its hex string, ties by larger index first.

    Comparing lowercase hex strings equals comparing digests as big-endian integers; sort by
    the first 64 bits and only fall back to all 256 bits if two of those collide.
    """
    count = len(digests)
    words = np.frombuffer(b"".join(digests), dtype=">u8").reshape(count, 4).astype(np.uint64)
    order = np.argsort(words[:, 0], kind="stable")
    first = words[order, 0]
    if count > 1 and bool(np.any(first[1:] == first[:-1])):
        index = np.arange(count, dtype=np.int64)
        order = np.lexsort((-index, words[:, 3], words[:, 2], words[:, 1], words[:, 0]))
    rank = np.empty(count, dtype=np.int64)
    rank[order] = np.arange(count, dtype=np.int64)
    return rank


def _scores(tier: IntArray, lottery_rank: IntArray) -> IntArray:
    """One int per pair ordered like (tier, lottery rank); smaller is better."""
    if not len(tier):
        return tier
    low, span = int(tier.min()), int(tier.max()) - int(tier.min()) + 1
    ranks = int(lottery_rank.max()) + 1
    if span * ranks < 2**40:  # room left for the kernel's school * scale + score
        return (tier - low) * ranks + lottery_rank
    score = np.empty(len(tier), dtype=np.int64)
    score[np.lexsort((lottery_rank, tier))] = np.arange(len(tier), dtype=np.int64)
    return score


def _da_kernel(
    starts: IntArray, pair_school: IntArray, pair_score: IntArray, capacity: IntArray
) -> IntArray:
    """Vectorised student-proposing deferred acceptance.

    Applicant a's admissible choices are pairs `starts[a]:starts[a + 1]`, most wanted first;
    `pair_score` is smaller-is-better and strict within each school. Each round every free
    applicant proposes to its next choice that beats the school's cutoff (the worst held score
    once full: cutoffs only improve, so a worse proposal would be rejected anyway); each school
    that received proposals keeps its best `capacity` among held and new. Returns per applicant
    the held pair index, -1 if unplaced.
    """
    applicants, schools = len(starts) - 1, len(capacity)
    held = np.full(applicants, -1, dtype=np.int64)
    if len(pair_school) == 0:
        return held
    held_school = np.full(applicants, -1, dtype=np.int64)
    cutoff = np.full(schools, np.iinfo(np.int64).max, dtype=np.int64)
    next_pair = starts[:-1].copy()
    ends = starts[1:]
    touched = np.zeros(schools + 1, dtype=bool)  # index -1: "no school"
    scale = np.int64(pair_score.max() + 1)
    every_school = np.arange(schools, dtype=np.int64)
    free = np.flatnonzero(next_pair < ends)
    while free.size:
        proposing = []
        while free.size:
            proposal = next_pair[free]
            next_pair[free] += 1
            beats = pair_score[proposal] < cutoff[pair_school[proposal]]
            proposing.append(free[beats])
            free = free[~beats]
            free = free[next_pair[free] < ends[free]]
        new = np.concatenate(proposing)
        if not new.size:
            break
        proposal = next_pair[new] - 1
        touched[pair_school[proposal]] = True
        holders = np.flatnonzero(touched[held_school])
        touched[:] = False
        candidates = np.concatenate((holders, new))
        chosen = np.concatenate((held[holders], proposal))
        order = np.argsort(pair_school[chosen] * scale + pair_score[chosen])
        candidates, chosen = candidates[order], chosen[order]
        school = pair_school[chosen]
        first = np.searchsorted(school, every_school)
        size = np.searchsorted(school, every_school, side="right") - first
        keep = (np.arange(len(order)) - first[school]) < capacity[school]
        held[candidates[keep]] = chosen[keep]
        held_school[candidates[keep]] = school[keep]
        free = candidates[~keep]
        held[free] = -1
        held_school[free] = -1
        full = np.flatnonzero(size >= capacity)
        full = full[size[full] > 0]
        cutoff[full] = pair_score[chosen[first[full] + capacity[full] - 1]]
        free = free[next_pair[free] < ends[free]]
    return held


def _deferred_acceptance(
    instance: Instance, ranking: _Ranking
) -> tuple[dict[str, str | None], dict[str, Cutoff | None]]:
    """Student-proposing deferred acceptance (Gale–Shapley): stable and student-optimal.

    The same matching as the one-proposal-at-a-time reference in the tests (the student-optimal
    stable matching is unique under strict priorities), computed with `_da_kernel`.
    """
    schools = instance.schools
    applicants = instance.applicants
    index_of = {s.code: i for i, s in enumerate(schools)}
    capacity = np.array([s.capacity for s in schools], dtype=np.int64)
    # whole-list passes through C-level iterators: a Python loop per pair costs ~1 s here
    preferences = list(map(attrgetter("preferences"), applicants))
    lengths = np.fromiter(map(len, preferences), dtype=np.int64, count=len(applicants))
    ranked = int(lengths.sum())
    flat = list(chain.from_iterable(preferences))
    owner = np.repeat(np.arange(len(applicants), dtype=np.int64), lengths)
    flat_school = np.fromiter(map(index_of.__getitem__, flat), dtype=np.int64, count=ranked)
    missing = -(2**63)
    flat_tier = np.fromiter(
        chain.from_iterable(
            map(
                map,
                map(attrgetter("priorities.get"), applicants),
                preferences,
                repeat(repeat(missing)),
            )
        ),
        dtype=np.int64,
        count=ranked,
    )
    admissible = (flat_tier != missing) & (capacity[flat_school] > 0)
    pair_school = flat_school[admissible]
    pair_tier = flat_tier[admissible]
    pair_applicant = owner[admissible]
    pair_count = len(pair_school)
    starts = np.zeros(len(applicants) + 1, dtype=np.int64)
    np.cumsum(np.bincount(pair_applicant, minlength=len(applicants)), out=starts[1:])
    seed = instance.seed
    ids = list(map(attrgetter("application_id"), applicants))
    if instance.tie_breaking == "single":
        prefix = f"{seed}:"
        lottery_rank = _digest_order([hashlib.sha256((prefix + i).encode()).digest() for i in ids])[
            pair_applicant
        ]
    else:
        lottery_rank = _digest_order(
            [
                hashlib.sha256(f"{seed}:{code}:{ids[i]}".encode()).digest()
                for code, i in compress(zip(flat, owner.tolist(), strict=True), admissible)
            ]
        )
    pair_score = _scores(pair_tier, lottery_rank)
    held = _da_kernel(starts, pair_school, pair_score, capacity)
    codes: list[str | None] = [s.code for s in schools]
    codes.append(None)  # index -1: unplaced
    received = (
        np.where(held >= 0, pair_school[held], -1).tolist() if pair_count else [-1] * len(ids)
    )
    assignments = dict(zip(ids, map(codes.__getitem__, received), strict=True))
    placed = held[held >= 0]
    if len(placed):
        scale = int(pair_score.max()) + 1
        placed = placed[np.argsort(pair_school[placed] * scale + pair_score[placed])]
    counts = np.bincount(pair_school[placed], minlength=len(schools))
    last_pair = placed[np.cumsum(counts) - 1] if len(placed) else counts
    cutoffs: dict[str, Cutoff | None] = {}
    for i, school in enumerate(schools):
        if school.capacity > 0 and counts[i] == school.capacity:
            last = applicants[int(pair_applicant[last_pair[i]])]
            cutoffs[school.code] = Cutoff(*ranking.key(last, school.code))
        else:
            cutoffs[school.code] = None
    return assignments, cutoffs


def _immediate_acceptance(
    instance: Instance, ranking: _Ranking
) -> tuple[dict[str, str | None], dict[str, Cutoff | None], dict[str, int]]:
    """志愿优先 (Boston): in round k every unplaced applicant applies to its k-th choice and
    schools admit by rank up to their remaining seats, for good.

    The cutoff of a full school is the last applicant admitted in the round it filled. Also
    returns, per school, the round in which it filled (absent: never full).
    """
    remaining = {s.code: s.capacity for s in instance.schools}
    filled_in: dict[str, int] = {code: 0 for code, seats in remaining.items() if seats == 0}
    assignments: dict[str, str | None] = {a.application_id: None for a in instance.applicants}
    cutoffs: dict[str, Cutoff | None] = {code: None for code in remaining}
    unplaced = list(instance.applicants)
    rounds = max((len(a.preferences) for a in instance.applicants), default=0)
    for k in range(rounds):
        applying: dict[str, list[tuple[tuple[int, str], Applicant]]] = {}
        still: list[Applicant] = []
        for applicant in unplaced:
            if k >= len(applicant.preferences):
                continue
            code = applicant.preferences[k]
            if code in applicant.priorities and remaining[code] > 0:
                applying.setdefault(code, []).append((ranking.key(applicant, code), applicant))
            else:
                still.append(applicant)
        for code, candidates in applying.items():
            candidates.sort(key=lambda c: (c[0], c[1].application_id))
            admitted, rejected = candidates[: remaining[code]], candidates[remaining[code] :]
            for _, applicant in admitted:
                assignments[applicant.application_id] = code
            remaining[code] -= len(admitted)
            if remaining[code] == 0:
                filled_in[code] = k
                last = admitted[-1][0]
                cutoffs[code] = Cutoff(last[0], last[1])
            still.extend(a for _, a in rejected)
        unplaced = still
    return assignments, cutoffs, filled_in


def _explain(
    instance: Instance,
    ranking: _Ranking,
    assignments: Mapping[str, str | None],
    cutoffs: Mapping[str, Cutoff | None],
    filled_in: Mapping[str, int] | None,
) -> dict[str, list[Explanation]]:
    capacity = {s.code: s.capacity for s in instance.schools}
    explanations: dict[str, list[Explanation]] = {}
    for applicant in instance.applicants:
        received = assignments[applicant.application_id]
        reasons: list[Explanation] = []
        for k, code in enumerate(applicant.preferences):
            if code == received:
                break
            number = ranking.lottery_at(applicant, code)
            cutoff = cutoffs[code]
            tier = applicant.priorities.get(code)
            reason: Reason
            if tier is None:
                reason = "not_eligible"
            elif capacity[code] == 0:
                reason = "no_seats"
            elif filled_in is not None and filled_in.get(code, k) < k:
                reason = "full_in_earlier_round"
            elif cutoff is not None and tier > cutoff.tier:
                reason = "tier_below_cutoff"
            else:
                reason = "lottery_worse_than_cutoff"
            reasons.append(
                Explanation(
                    code,
                    reason,
                    tier,
                    number,
                    cutoff.tier if cutoff else None,
                    cutoff.lottery if cutoff else None,
                )
            )
        explanations[applicant.application_id] = reasons
    return explanations


def assign(instance: Instance) -> Outcome:
    """Run the instance's mechanism; `validate` it first."""
    ranking = _Ranking(instance)
    filled_in: dict[str, int] | None = None
    if instance.mechanism == "deferred_acceptance":
        assignments, cutoffs = _deferred_acceptance(instance, ranking)
    else:
        assignments, cutoffs, filled_in = _immediate_acceptance(instance, ranking)
    lotteries = (
        {a.application_id: ranking.lottery_at(a, "") for a in instance.applicants}
        if instance.tie_breaking == "single"
        else None
    )
    return Outcome(
        assignments,
        cutoffs,
        _explain(instance, ranking, assignments, cutoffs, filled_in),
        lotteries,
    )
