"""电脑派位 rules against hand-checked instances and the stability property."""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrollment.lottery import comparison_rules, rules
from enrollment.lottery.rules import Applicant, Cutoff, Explanation, Instance, School
from junheng_kit.problems import RuleViolated

from .reference import rank_key, reference_deferred_acceptance

X, Y, Z = "2115000001", "2115000002", "2115000003"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def instance(
    applicants: list[Applicant],
    schools: list[School],
    *,
    mechanism: rules.Mechanism = "deferred_acceptance",
    tie_breaking: rules.TieBreaking = "single",
    seed: str = "seed",
) -> Instance:
    return Instance(seed, mechanism, tie_breaking, schools, applicants)


# The classic case where the mechanisms differ (tiers strict, so lottery numbers do not matter):
# X ranks a > c > b, Y ranks b > a > c, Z ranks c > a > b.
CLASSIC = [
    Applicant("a", (Y, X, Z), {X: 1, Y: 2, Z: 2}),
    Applicant("b", (X, Y, Z), {X: 3, Y: 1, Z: 3}),
    Applicant("c", (X, Z, Y), {X: 2, Y: 3, Z: 1}),
]
ONE_SEAT_EACH = [School(X, 1), School(Y, 1), School(Z, 1)]


def test_lottery_numbers_are_the_published_hashes() -> None:
    assert rules.lottery("2027", "A1") == sha("2027:A1")
    assert rules.lottery("2027", "A1", X) == sha(f"2027:{X}:A1")
    assert rules.lottery("派位", "甲") == hashlib.sha256("派位:甲".encode()).hexdigest()


class TestClassicInstance:
    def test_deferred_acceptance(self) -> None:
        # a→Y, b→X, c→X: X keeps c. b→Y: Y keeps b, drops a. a→X: X keeps a, drops c. c→Z.
        outcome = rules.assign(instance(CLASSIC, ONE_SEAT_EACH))
        assert outcome.assignments == {"a": X, "b": Y, "c": Z}
        assert outcome.cutoffs[X] == Cutoff(1, rules.lottery("seed", "a"))
        assert [e.reason for e in outcome.explanations["a"]] == ["tier_below_cutoff"]
        assert outcome.explanations["b"] == [
            Explanation(X, "tier_below_cutoff", 3, rules.lottery("seed", "b"), 1, sha("seed:a"))
        ]

    def test_immediate_acceptance(self) -> None:
        # round 1: Y takes a, X takes c over b; round 2: Y is full; round 3: b gets Z.
        outcome = rules.assign(instance(CLASSIC, ONE_SEAT_EACH, mechanism="immediate_acceptance"))
        assert outcome.assignments == {"a": Y, "b": Z, "c": X}
        assert [(e.school_code, e.reason, e.cutoff_tier) for e in outcome.explanations["b"]] == [
            (X, "tier_below_cutoff", 2),
            (Y, "full_in_earlier_round", 2),
        ]
        assert outcome.explanations["a"] == outcome.explanations["c"] == []

    def test_comparison_counts_who_gains_and_loses(self) -> None:
        comparison = comparison_rules.compare(instance(CLASSIC, ONE_SEAT_EACH))
        assert comparison.run.first_choice_share == 0
        assert comparison.run.rank_distribution == {"2": 3, "unassigned": 0}
        assert comparison.other.rank_distribution == {"1": 2, "3": 1, "unassigned": 0}
        assert comparison.better_under_other == ["a", "c"]
        assert comparison.worse_under_other == ["b"]
        assert comparison.unchanged == 0


def test_ties_are_broken_by_the_smaller_hex_lottery_number() -> None:
    both = [Applicant(i, (X,), {X: 1}) for i in ("p", "q")]
    winner, loser = sorted(("p", "q"), key=lambda i: sha(f"2027:{i}"))
    for mechanism in ("deferred_acceptance", "immediate_acceptance"):
        outcome = rules.assign(instance(both, [School(X, 1)], mechanism=mechanism, seed="2027"))
        assert outcome.assignments == {winner: X, loser: None}
        assert outcome.cutoffs == {X: Cutoff(1, sha(f"2027:{winner}"))}
        assert outcome.explanations[loser] == [
            Explanation(
                X, "lottery_worse_than_cutoff", 1, sha(f"2027:{loser}"), 1, sha(f"2027:{winner}")
            )
        ]
        assert outcome.lotteries == {i: sha(f"2027:{i}") for i in ("p", "q")}


def test_single_and_multiple_tie_breaking_can_disagree() -> None:
    both = [Applicant(i, (X, Y), {X: 1, Y: 1}) for i in ("p", "q")]
    # a seed under which p wins the single draw but q wins X's own draw
    seed = next(
        s
        for s in (f"s{n}" for n in range(200))
        if sha(f"{s}:p") < sha(f"{s}:q") and sha(f"{s}:{X}:q") < sha(f"{s}:{X}:p")
    )
    seats = [School(X, 1), School(Y, 1)]
    single = rules.assign(instance(both, seats, seed=seed))
    multiple = rules.assign(instance(both, seats, seed=seed, tie_breaking="multiple"))
    assert single.assignments == {"p": X, "q": Y}
    assert multiple.assignments == {"p": Y, "q": X}
    assert multiple.lotteries is None
    assert multiple.explanations["p"][0].lottery == sha(f"{seed}:{X}:p")


def test_an_applicant_without_a_tier_is_never_admitted_there() -> None:
    applicants = [Applicant("p", (X, Y), {Y: 2})]
    outcome = rules.assign(instance(applicants, [School(X, 5), School(Y, 5)]))
    assert outcome.assignments == {"p": Y}
    assert outcome.explanations["p"][0].reason == "not_eligible"
    assert outcome.explanations["p"][0].tier is None
    assert outcome.cutoffs == {X: None, Y: None}  # neither school is full


def test_capacity_zero_admits_nobody() -> None:
    applicants = [Applicant("p", (X,), {X: 1})]
    for mechanism in ("deferred_acceptance", "immediate_acceptance"):
        outcome = rules.assign(instance(applicants, [School(X, 0)], mechanism=mechanism))
        assert outcome.assignments == {"p": None}
        assert outcome.cutoffs == {X: None}
        assert [e.reason for e in outcome.explanations["p"]] == ["no_seats"]


def test_validate_names_every_bad_field() -> None:
    bad = instance(
        [
            Applicant("p", (X, "2115000009", X), {Z: 1}),
            Applicant("p", (), {}),
        ],
        [School(X, 1), School(X, 2)],
    )
    with pytest.raises(RuleViolated) as caught:
        rules.validate(bad)
    assert [(e.field, e.rule) for e in caught.value.errors] == [
        ("schools[1].school_code", "school_code_unique"),
        ("applicants[0].preferences[1]", "school_in_instance"),
        ("applicants[0].preferences[2]", "preference_unique"),
        (f"applicants[0].priorities.{Z}", "school_in_instance"),
        ("applicants[1].application_id", "application_id_unique"),
    ]


CODES = [X, Y, Z, "2115000004"]


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    schools = [School(code, draw(st.integers(0, 2))) for code in CODES[: draw(st.integers(1, 4))]]
    codes = [s.code for s in schools]
    applicants = []
    for n in range(draw(st.integers(0, 7))):
        preferences = draw(st.permutations(codes))[: draw(st.integers(0, len(codes)))]
        priorities = {c: draw(st.integers(1, 3)) for c in codes if draw(st.booleans())}
        applicants.append(Applicant(f"a{n}", tuple(preferences), priorities))
    tie_breaking = draw(st.sampled_from(["single", "multiple"]))
    return instance(applicants, schools, tie_breaking=tie_breaking, seed=draw(st.text(max_size=5)))


def blocking_pairs(inst: Instance, outcome: rules.Outcome) -> list[tuple[str, str]]:
    """(applicant, school) pairs where the applicant wants the school above its own and the
    school has a free seat or admitted someone it ranks lower."""
    capacity = {s.code: s.capacity for s in inst.schools}
    admitted: dict[str, list[Applicant]] = {code: [] for code in capacity}
    for a in inst.applicants:
        if (code := outcome.assignments[a.application_id]) is not None:
            admitted[code].append(a)
    pairs = []
    for a in inst.applicants:
        received = outcome.assignments[a.application_id]
        for code in a.preferences:
            if code == received:
                break
            if code not in a.priorities or capacity[code] == 0:
                continue
            mine = rank_key(inst, a, code)
            if len(admitted[code]) < capacity[code] or any(
                rank_key(inst, b, code) > mine for b in admitted[code]
            ):
                pairs.append((a.application_id, code))
    return pairs


def rank(a: Applicant, code: str | None) -> int:
    return a.preferences.index(code) if code is not None else len(a.preferences)


@settings(max_examples=300, deadline=None)
@given(instances())
def test_deferred_acceptance_is_stable_and_student_optimal(inst: Instance) -> None:
    da = rules.assign(inst)
    capacity = {s.code: s.capacity for s in inst.schools}
    for a in inst.applicants:
        code = da.assignments[a.application_id]
        assert code is None or (code in a.preferences and code in a.priorities)
    for code, seats in capacity.items():
        assert sum(1 for v in da.assignments.values() if v == code) <= seats
    assert blocking_pairs(inst, da) == []
    ia_inst = Instance(
        inst.seed, "immediate_acceptance", inst.tie_breaking, inst.schools, inst.applicants
    )
    ia = rules.assign(ia_inst)
    if not blocking_pairs(inst, ia):  # a stable IA outcome is never better for anyone than DA's
        for a in inst.applicants:
            assert rank(a, da.assignments[a.application_id]) <= rank(
                a, ia.assignments[a.application_id]
            )


@st.composite
def larger_instances(draw: st.DrawFn) -> Instance:
    """Up to 12 schools and 40 applicants, tiers 0–3 (0 is allowed by the schema), ties common."""
    codes = CODES + [f"21150001{i:02d}" for i in range(8)]
    schools = [School(code, draw(st.integers(0, 4))) for code in codes[: draw(st.integers(1, 12))]]
    names = [s.code for s in schools]
    applicants = []
    for n in range(draw(st.integers(0, 40))):
        preferences = draw(st.permutations(names))[: draw(st.integers(0, len(names)))]
        priorities = {c: draw(st.integers(0, 3)) for c in names if draw(st.integers(0, 4))}
        applicants.append(Applicant(f"A{n}", tuple(preferences), priorities))
    tie_breaking = draw(st.sampled_from(["single", "multiple"]))
    return instance(applicants, schools, tie_breaking=tie_breaking, seed=draw(st.text(max_size=5)))


@settings(max_examples=400, deadline=None)
@given(st.one_of(instances(), larger_instances()))
def test_vectorised_deferred_acceptance_equals_the_reference(inst: Instance) -> None:
    outcome = rules.assign(inst)
    assert (outcome.assignments, outcome.cutoffs) == reference_deferred_acceptance(inst)


def test_digest_order_breaks_first_64_bit_collisions_on_the_full_number() -> None:
    same = bytes(8)
    digests = [same + b"\x02" + bytes(23), same + b"\x01" + bytes(23), b"\x00" * 7 + b"\x01" * 25]
    assert sorted(range(3), key=lambda i: digests[i].hex()) == [1, 0, 2]
    assert rules._digest_order(digests).tolist() == [1, 0, 2]


def test_vectorised_deferred_acceptance_with_a_wide_tier_range() -> None:
    schools = [School(X, 2), School(Y, 1)]
    applicants = [Applicant(f"a{n}", (X, Y), {X: (n % 3) * 2**45, Y: -n}) for n in range(6)]
    for tie_breaking in ("single", "multiple"):
        inst = instance(applicants, schools, tie_breaking=tie_breaking)
        outcome = rules.assign(inst)
        assert (outcome.assignments, outcome.cutoffs) == reference_deferred_acceptance(inst)
