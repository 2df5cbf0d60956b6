"""The rate-limit arithmetic (gateway/limits/rules.py): GCRA, merging replicas, RateLimit fields."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.limits import rules
from gateway.limits.rules import Decision, Policy

TWO_A_SECOND = Policy("api", rate_per_second=2, burst=3)  # interval 0.5 s, tolerance 1.5 s


def run(policy: Policy, times: list[float], tat: float = float("-inf")) -> list[Decision]:
    decisions = []
    for now in times:
        decision, tat = rules.admit(policy, tat, now)
        decisions.append(decision)
    return decisions


class TestAdmit:
    def test_the_burst_at_once_then_one_request_per_interval(self) -> None:
        decisions = run(TWO_A_SECOND, [0.0, 0.0, 0.0, 0.0, 0.5, 0.5])
        assert [d.allowed for d in decisions] == [True, True, True, False, True, False]
        assert [d.remaining for d in decisions] == [2, 1, 0, 0, 0, 0]

    def test_a_refusal_says_when_the_next_request_is_admitted(self) -> None:
        refused = run(Policy("api", rate_per_second=0.5, burst=2), [0.0, 0.0, 0.0])[2]
        assert refused == Decision(allowed=False, remaining=0, reset_seconds=2)

    def test_reset_is_the_time_until_one_more_request_rounded_up(self) -> None:
        # 0.5 s per request: after the first of a full bucket of 3, 2 remain and a third is
        # back 0.5 s later; a bucket of one refills in 10 s at 0.1/s
        assert run(TWO_A_SECOND, [0.0])[0] == Decision(True, 2, 1)
        assert run(Policy("slow", 0.1, 1), [0.0])[0] == Decision(True, 0, 10)

    def test_a_quiet_client_gets_its_whole_burst_back_and_no_more(self) -> None:
        decisions = run(TWO_A_SECOND, [0.0, 0.0, 0.0, 60.0, 60.0, 60.0, 60.0])
        assert [d.allowed for d in decisions] == [True, True, True, True, True, True, False]

    @given(st.lists(st.floats(0, 100), min_size=1, max_size=300), st.floats(0.1, 50))
    def test_never_more_than_burst_plus_rate_times_the_span(
        self, times: list[float], rate: float
    ) -> None:
        policy = Policy("p", rate_per_second=rate, burst=5)
        times = sorted(times)
        admitted = sum(d.allowed for d in run(policy, times))
        assert admitted <= policy.burst + rate * (times[-1] - times[0]) + 1e-6


class TestPolicyFields:
    @pytest.mark.parametrize(
        ("rate", "burst", "field"),
        [
            (200, 400, '"api";q=400;w=2'),  # the defaults: 400 at once, all back within 2 s
            (0.5, 2, '"api";q=2;w=4'),
            (1000, 10, '"api";q=1000;w=1'),  # a small burst: the sustained rate per second
            (10 / 60, 10, '"api";q=10;w=60'),  # 10 a minute
            (3, 10, '"api";q=12;w=4'),
        ],
    )
    def test_quota_and_window(self, rate: float, burst: int, field: str) -> None:
        assert rules.policy_field(Policy("api", rate, burst)) == field

    def test_the_ratelimit_field_of_a_decision(self) -> None:
        field = rules.limit_field(TWO_A_SECOND, Decision(True, 2, 1))
        assert field == '"api";r=2;t=1'

    @pytest.mark.parametrize(
        ("rate", "sync_seconds", "share"), [(200, 0.1, 20), (20, 0.1, 2), (10 / 60, 0.1, 1)]
    )
    def test_a_replicas_share_between_two_reconciliations(
        self, rate: float, sync_seconds: float, share: int
    ) -> None:
        assert Policy("api", rate, 10).share(sync_seconds) == share


def exact_tat(start: float, times: list[float], interval: float) -> float:
    """GCRA over every request (none refused): the value one limiter would hold."""
    tat = start
    for now in sorted(times):
        tat = max(tat, now) + interval
    return tat


class TestMerged:
    def test_one_replica_alone_writes_its_own_exact_value(self) -> None:
        # stored 100.0 (known); three requests at 101, 101.2, 105 with interval 0.5
        own = exact_tat(100.0, [101.0, 101.2, 105.0], 0.5)
        assert own == 105.5
        assert rules.merged(100.0, tat=own, pending=3, first_at=101.0, interval=0.5) == 105.5

    def test_another_replicas_requests_are_added_to(self) -> None:
        # both knew 100.0 (an empty bucket at t=99); the other replica wrote 102.0 (4 requests)
        own = exact_tat(100.0, [99.5, 99.6], 0.5)  # 101.0
        assert rules.merged(102.0, tat=own, pending=2, first_at=99.5, interval=0.5) == 103.0

    def test_after_an_outage_only_the_time_since_the_first_request_counts(self) -> None:
        # an old stored value and 600 requests at 1/s over ten minutes: not 600 s of debt
        own = exact_tat(0.0, [1000.0 + i for i in range(600)], 1.0)
        merged = rules.merged(5.0, tat=own, pending=600, first_at=1000.0, interval=1.0)
        assert merged == own == 1600.0

    def test_a_refund_takes_one_interval_off(self) -> None:
        assert rules.merged(110.0, tat=100.0, pending=-1, first_at=50.0, interval=2.0) == 108.0

    def test_a_request_given_back_elsewhere_leaves_the_view(self) -> None:
        # interval 30: the view was built on 130 (another replica's reservation on top of 100),
        # then one own request at 95 (160); the other replica gave its request back (100)
        own = exact_tat(130.0, [95.0], 30.0)
        assert own == 160.0
        dropped = rules.fell_by(130.0, 100.0, since=95.0)
        assert dropped == 30.0
        merged = rules.merged(
            100.0, tat=own, pending=1, first_at=95.0, interval=30.0, dropped=dropped
        )
        assert merged == exact_tat(100.0, [95.0], 30.0) == 130.0

    def test_a_fall_below_the_first_request_does_not_count(self) -> None:
        # a stored 40 or 10 gives the same GCRA over requests from 50 on: the fall is 90 → 50
        assert rules.fell_by(90.0, 10.0, since=50.0) == 40.0
        assert rules.fell_by(45.0, 10.0, since=50.0) == 0.0
        assert rules.fell_by(90.0, 120.0) == 0.0  # it rose
        assert rules.fell_by(None, 10.0) == 0.0  # nothing was known

    def test_an_expired_entry_is_a_full_bucket(self) -> None:
        assert rules.fell_by(90.0, None, since=100.0) == 0.0  # it had refilled by then
        assert rules.fell_by(90.0, None) == float("inf")
        assert rules.merged(
            None, tat=90.0, pending=0, first_at=float("inf"), interval=1.0, dropped=float("inf")
        ) == float("-inf")

    @given(
        st.lists(st.floats(0, 1), max_size=40),
        st.lists(st.floats(0, 1), max_size=40),
        st.floats(-5, 5),
        st.floats(0.01, 1),
    )
    def test_two_replicas_merged_never_count_less_than_one_limiter(
        self, first: list[float], second: list[float], start: float, interval: float
    ) -> None:
        """Requests within one sync interval (1 s here) on two replicas from a common value:
        the merged value is at least the exact one (no requests lost), at most one interval of
        the sync period more (requests charged after the other replica's though earlier)."""
        value: float | None = start
        for times in (first, second):
            if times:
                own = exact_tat(start, times, interval)
                value = rules.merged(
                    value, tat=own, pending=len(times), first_at=min(times), interval=interval
                )
        exact = exact_tat(start, first + second, interval)
        assert value is not None
        assert value >= exact - 1e-9
        assert value <= exact + 1.0 + 1e-9
