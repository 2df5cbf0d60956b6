"""Pure rules: lawful basis, the circuit breaker, backoff, percentiles, the ledger's chain."""

from __future__ import annotations

import pytest

from junheng_kit.agency import ledger_rules
from junheng_kit.agency.ledger_rules import GENESIS_HASH
from junheng_kit.agency.protocol import (
    BreakerState,
    CircuitBreaker,
    backoff_seconds,
    percentile,
    require_lawful_basis,
)
from junheng_kit.problems import RuleViolated


class TestLawfulBasis:
    def test_both_missing_names_both_rules(self) -> None:
        with pytest.raises(RuleViolated) as refused:
            require_lawful_basis("  ", None, "")
        assert [e.rule for e in refused.value.errors] == [
            "purpose_required",
            "legal_basis_or_consent_required",
        ]

    def test_consent_alone_is_a_basis(self) -> None:
        require_lawful_basis("认定", None, "consent-1")


class TestCircuitBreaker:
    def test_opens_at_the_threshold_and_half_opens_after_the_reset(self) -> None:
        breaker = CircuitBreaker(failure_threshold=3, reset_seconds=10)
        for now in (0.0, 1.0):
            breaker.record_failure(now)
        assert (breaker.state, breaker.allow(2.0)) == (BreakerState.CLOSED, True)
        breaker.record_failure(2.0)
        assert (breaker.state, breaker.allow(11.9)) == (BreakerState.OPEN, False)
        assert (breaker.allow(12.0), breaker.state) == (True, BreakerState.HALF_OPEN)
        assert breaker.allow(12.1) is False  # one trial at a time

    def test_a_failed_trial_reopens_and_a_good_one_closes(self) -> None:
        breaker = CircuitBreaker(failure_threshold=1, reset_seconds=5)
        breaker.record_failure(0.0)
        assert breaker.allow(5.0) is True
        breaker.record_failure(5.0)
        assert (breaker.state, breaker.opened_at) == (BreakerState.OPEN, 5.0)
        assert breaker.allow(10.0) is True
        breaker.record_success()
        assert (breaker.state, breaker.consecutive_failures) == (BreakerState.CLOSED, 0)

    def test_a_success_resets_the_count(self) -> None:
        breaker = CircuitBreaker(failure_threshold=2, reset_seconds=5)
        breaker.record_failure(0.0)
        breaker.record_success()
        breaker.record_failure(1.0)
        assert breaker.state is BreakerState.CLOSED


def test_backoff_doubles_per_attempt_scaled_by_the_jitter_draw() -> None:
    # base 0.1 s: attempt 0 → [0, 0.1), 1 → [0, 0.2), 3 → [0, 0.8); draw 0.5 halves each
    assert [backoff_seconds(a, 0.1, 0.5) for a in (0, 1, 3)] == pytest.approx([0.05, 0.1, 0.4])


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]  # 1 … 20
    # p50: ceil(20·0.5) = 10th → 10; p95: ceil(19) = 19th → 19
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile([], 0.5)) == (
        10.0,
        19.0,
        None,
    )


def entry(seq: int, **changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "seq": seq,
        "kind": "lookup",
        "actor": "school-1",
        "student_key": "k" * 32,
        "county_code": "150602",
        "agency": "mca",
        "purpose": "认定",
        "legal_basis": "教财〔2018〕16号",
        "consent_ref": None,
        "request_id": f"r{seq}",
        "answer_id": f"a{seq}",
        "outcome": "matched",
        "detail": None,
        "recorded_at": "2026-11-23T10:00:00.000000+00:00",
    }
    return {**base, **changes}


def chain(count: int) -> list[dict[str, object]]:
    out, previous = [], GENESIS_HASH
    for seq in range(1, count + 1):
        item = entry(seq)
        item["prev_hash"] = previous
        item["entry_hash"] = previous = ledger_rules.entry_hash(previous, item)
        out.append(item)
    return out


class TestHashChain:
    def test_an_untouched_chain_reaches_its_last_hash(self) -> None:
        entries = chain(3)
        broken, seq, head = ledger_rules.first_break(entries, prev_seq=0, prev_hash=GENESIS_HASH)
        assert (broken, seq, head) == (None, 3, entries[-1]["entry_hash"])

    def test_an_edited_field_breaks_at_that_entry(self) -> None:
        entries = chain(3)
        entries[1]["purpose"] = "别的"
        broken, _, _ = ledger_rules.first_break(entries, prev_seq=0, prev_hash=GENESIS_HASH)
        assert broken is not None
        assert broken.seq == 2

    def test_a_deleted_entry_breaks_at_the_next(self) -> None:
        entries = chain(3)
        del entries[1]
        broken, _, _ = ledger_rules.first_break(entries, prev_seq=0, prev_hash=GENESIS_HASH)
        assert broken is not None
        assert (broken.seq, broken.reason.en) == (3, "seq 3 follows 1")
