"""`make bench`: 电脑派位 deferred acceptance for 200,000 applicants × 1,000 schools.

Issue goal: assignment compute ≤ 1 s. "Compute" is `rules._deferred_acceptance` (hash the
lottery numbers, build the arrays, run the vectorised kernel, assignments and cutoffs);
explanations are timed separately, once, as part of the whole `rules.assign`.

Then, on one 20,000 × 200 instance, our deferred acceptance against the `matching` library's
student-optimal hospital-resident solver (PyPI), checking that the two matchings are equal: with
strict (tier, lottery) priorities the student-optimal stable matching is unique.
"""

import itertools
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from matching.games import HospitalResident

from enrollment.lottery import rules
from enrollment.lottery.rules import Applicant, Instance, School

T = TypeVar("T")
LARGE, SMALL, ROUNDS = (200_000, 1_000), (20_000, 200), 3


def synthetic(
    applicants: int, schools: int, tie_breaking: rules.TieBreaking = "single", seed: int = 7
) -> Instance:
    """5–10 choices each with a popularity skew, a tier (1–3) at ~90 % of the schools ranked,
    capacities summing to 95 % of the applicants."""
    rng = random.Random(seed)
    codes = [f"2115{i:06d}" for i in range(schools)]
    weights = list(itertools.accumulate(1 / (i + 1) ** 0.8 for i in range(schools)))
    seats = applicants * 95 // 100
    capacity = [seats // schools + (i < seats % schools) for i in range(schools)]
    people = []
    for n in range(applicants):
        wanted = rng.randint(5, 10)
        preferences: list[str] = []
        while len(preferences) < wanted:
            code = rng.choices(codes, cum_weights=weights)[0]
            if code not in preferences:
                preferences.append(code)
        priorities = {c: rng.randint(1, 3) for c in preferences if rng.random() < 0.9}
        people.append(Applicant(f"A{n:07d}", tuple(preferences), priorities))
    return Instance(
        "2027-bench", "deferred_acceptance", tie_breaking,
        [School(c, k) for c, k in zip(codes, capacity, strict=True)], people,
    )  # fmt: skip


def compute(instance: Instance) -> dict[str, str | None]:
    return rules._deferred_acceptance(instance, rules._Ranking(instance))[0]


def timed(instance: Instance, rounds: int = ROUNDS) -> tuple[float, dict[str, str | None]]:
    times, result = [], {}
    for _ in range(rounds):
        start = time.perf_counter()
        result = compute(instance)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def in_deep_stack(work: Callable[[], T]) -> T:
    """`matching` deep-copies its linked players recursively: give it a 1 GiB stack."""
    out: list[T] = []
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(2_000_000)
    threading.stack_size(1 << 30)
    try:
        thread = threading.Thread(target=lambda: out.append(work()))
        thread.start()
        thread.join()
    finally:
        threading.stack_size(0)
        sys.setrecursionlimit(limit)
    if not out:
        raise SystemExit("the matching library failed")
    return out[0]


def with_matching_library(instance: Instance) -> tuple[float, dict[str, str | None]]:
    """The same instance as a hospital-resident game: admissible choices only, each school
    ranking exactly the applicants who rank it by (tier, lottery)."""
    ranking = rules._Ranking(instance)
    capacity = {s.code: s.capacity for s in instance.schools}
    start = time.perf_counter()
    resident_prefs = {
        a.application_id: [c for c in a.preferences if c in a.priorities and capacity[c] > 0]
        for a in instance.applicants
    }
    resident_prefs = {a: p for a, p in resident_prefs.items() if p}
    by_id = {a.application_id: a for a in instance.applicants}
    applying: dict[str, list[str]] = {c: [] for c, k in capacity.items() if k > 0}
    for a, prefs in resident_prefs.items():
        for c in prefs:
            applying[c].append(a)
    hospital_prefs = {
        c: sorted(ids, key=lambda i, c=c: ranking.key(by_id[i], c))  # type: ignore[misc]
        for c, ids in applying.items()
        if ids
    }
    resident_prefs = {a: [c for c in p if c in hospital_prefs] for a, p in resident_prefs.items()}
    solved = in_deep_stack(
        lambda: HospitalResident.create_from_dictionaries(
            resident_prefs, hospital_prefs, {c: capacity[c] for c in hospital_prefs}
        ).solve(optimal="resident")
    )
    elapsed = time.perf_counter() - start
    result: dict[str, str | None] = {a.application_id: None for a in instance.applicants}
    for hospital, residents in solved.items():
        for resident in residents:
            result[resident.name] = hospital.name
    return elapsed, result


def main() -> None:
    large = synthetic(*LARGE)
    compute_s, assignments = timed(large)
    placed = sum(code is not None for code in assignments.values())
    start = time.perf_counter()
    rules.assign(large)
    assign_s = time.perf_counter() - start
    print(
        f"\n电脑派位 deferred acceptance, {LARGE[0]:,} applicants × {LARGE[1]:,} schools "
        f"(single tie-breaking, {placed:,} placed)"
    )
    print(f"{'what':<44}{'s':>8}")
    print(f"{'compute, median of ' + str(ROUNDS):<44}{compute_s:>8.2f}")
    print(f"{'whole rules.assign with explanations, once':<44}{assign_s:>8.2f}")
    multiple = synthetic(*LARGE, tie_breaking="multiple")
    multiple_s, _ = timed(multiple)
    print(f"{'compute, multiple tie-breaking, median':<44}{multiple_s:>8.2f}")
    print(f"goal compute ≤ 1 s (single tie-breaking): {'met' if compute_s <= 1 else 'NOT met'}")

    small = synthetic(*SMALL)
    ours_s, ours = timed(small)
    library_s, theirs = with_matching_library(small)
    print(f"\nthe same {SMALL[0]:,} × {SMALL[1]} instance, student-optimal stable matching")
    print(f"{'ours (median of ' + str(ROUNDS) + ')':<44}{ours_s:>8.3f}")
    print(f"{'matching library (HospitalResident), once':<44}{library_s:>8.3f}")
    print(f"ratio matching ÷ ours: {library_s / ours_s:.0f}×; matchings equal: {ours == theirs}")
    if ours != theirs:
        raise SystemExit("the two matchings differ")


if __name__ == "__main__":
    main()
