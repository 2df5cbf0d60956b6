"""Faults with real processes: what a bureau relies on when a machine, a broker or a partner fails.

- a publisher (enrollment) killed with SIGKILL while it publishes, then restarted;
- a consumer (evaluation, staffing's teacher counts) killed while it consumes;
- nats-server stopped for 10 s under write load, restarted on the same store and port;
- PostgreSQL restarted during writes (a System on a PostgreSQL cluster of its own);
- a partner agency's system slow, then down, then back.

Every write answered 201 must exist and reach each consumer exactly once; a write that got no
answer must be wholly there or wholly absent; the gateway answers 503/504 problem+json within a
bound, never hangs. Each scenario prints one line of counts and all of them go to
`<var>/fault-counts.json` (test_system.py already kills staffing once; this generalises it).
"""

from __future__ import annotations

import itertools
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from junheng_devtools.system import ALL_SCOPES, SERVICES, System

from junheng_kit.processes import PostgresCluster, free_port

from .faults_support import (
    Counts,
    Database,
    Writer,
    metric,
    record,
    school,
    teacher,
    wait_until,
)

# a whole System restarts inside one test; on a busy 2-core machine that outlasts the default
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

CONSUMERS = ("staffing", "assistance", "evaluation")
SCHOOL_REGISTERED = "enrollment.school.registered"
TEACHER_STATS = "staffing.school_teacher_stats.changed"
DUPLICATES = "junheng_events_duplicate_total"
RELAY_DUPLICATES = "junheng_outbox_duplicates_total"
GATEWAY_BOUND_S = 3.0  # an outage is answered within this, never by hanging
RESULTS: dict[str, Any] = {}


def start_system(var: Any, **kwargs: Any) -> System:
    system = System(
        var=var,
        gateway_port=free_port(),
        extra_env={
            "GATEWAY_RATE_LIMIT_PER_SECOND": "1000",
            "GATEWAY_RATE_LIMIT_BURST": "2000",
            "GATEWAY_UPSTREAM_TIMEOUT_SECONDS": "15",
            "ASSISTANCE_AGENCY_BREAKER_RESET_SECONDS": "2",
        },
        ready_timeout=240,  # nine processes import at once on two busy cores
        **kwargs,
    )
    try:
        system.start()
    except BaseException:
        system.stop()
        raise
    return system


def client_of(system: System, base_url: str | None = None) -> httpx.Client:
    try:
        credentials = system.register_client(
            name="东胜区教育局 fault tests", scopes=ALL_SCOPES, jurisdiction=["150602"]
        )
    except subprocess.CalledProcessError as exc:
        raise AssertionError(f"register-client failed: {exc.stderr.decode()[-2000:]}") from exc
    return httpx.Client(
        base_url=base_url or system.gateway_url,
        timeout=20,
        headers={"Authorization": f"Bearer {system.token(credentials)}"},
    )


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    running = start_system(tmp_path_factory.mktemp("faults"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def bureau(system: System) -> Iterator[httpx.Client]:
    with client_of(system) as client:
        yield client


def schools(
    prefix: str, path: str = "/enrollment/v1/schools"
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Endless new schools `2115<prefix><nnnn>` for a writer (`path`: on the service itself)."""
    for n in itertools.count():
        code = f"2115{prefix}{n:04d}"
        yield code, path, school(code)


def duplicates(system: System, services: tuple[str, ...]) -> dict[str, float]:
    return {s: metric(system, s, DUPLICATES) for s in services}


def answered_within(outcomes: list[Any], bound: float) -> None:
    assert all(o.status is not None for o in outcomes), "a write got no answer"
    slowest = max((o.seconds for o in outcomes), default=0.0)
    assert slowest < bound, f"slowest answer {slowest:.1f}s"


def check_schools_delivered(
    system: System, counts: Counts, *writers: Writer, timeout: float = 120
) -> None:
    """Accepted schools exist in enrollment and in every consumer's copy, each from its one
    registration event applied once; refused ones nowhere; unknown ones all or nothing."""
    accepted = {k for w in writers for k in w.keys("accepted")}
    refused = {k for w in writers for k in w.keys("refused")}
    unknown = {k for w in writers for k in w.keys("unknown")}
    enrollment = Database(system, "enrollment")
    consumers = {name: Database(system, name) for name in CONSUMERS}
    try:
        registered = enrollment.school_codes() & (accepted | refused | unknown)
        counts.lost = len(accepted - registered)
        assert accepted <= registered, f"accepted but lost: {sorted(accepted - registered)}"
        assert not refused & registered, f"refused but written: {sorted(refused & registered)}"
        events = wait_until(lambda: _all_sent(enrollment, registered), timeout, "outbox drained")
        assert all(len(events[code]) == 1 for code in registered)
        event_ids = {events[code][0]: code for code in registered}
        for name, database in consumers.items():

            def copied(db: Database = database) -> bool:
                return set(db.school_copies(registered)) == registered

            wait_until(copied, timeout, f"{name} copies")
            copies = database.school_copies(registered)
            assert {copies[code] for code in registered} == set(event_ids)
            inbox = [e for e in database.inbox(f"{name}-schools") if e in event_ids]
            assert len(inbox) == len(set(inbox)) == len(event_ids), name
            counts.applied[name] = len(inbox)
        counts.unknown_committed = len(unknown & registered)
    finally:
        enrollment.close()
        for database in consumers.values():
            database.close()


def _sent(database: Database, subject: str) -> dict[str, list[str]] | None:
    try:
        return database.outbox(subject)
    except AssertionError:
        return None  # a row is still pending


def _all_sent(enrollment: Database, codes: set[str]) -> dict[str, list[str]] | None:
    try:
        events = enrollment.outbox(SCHOOL_REGISTERED)
    except AssertionError:
        return None  # a row is still pending
    return events if codes <= set(events) else None


def relay_duplicates(system: System, service: str) -> int:
    return int(metric(system, service, RELAY_DUPLICATES))


class TestPublisherKilled:
    def test_enrollment_killed_while_publishing_loses_and_duplicates_nothing(
        self, system: System, bureau: httpx.Client
    ) -> None:
        before = duplicates(system, CONSUMERS)
        writer = Writer(bureau, schools("41"))
        writer.start()
        writer.wait_for(accepted=20)
        killed_at = time.monotonic()
        system.processes["enrollment"].kill()  # SIGKILL between commits and publishes
        writer.wait_for_more(3)
        system.processes["enrollment"].start()
        system.processes["enrollment"].wait_ready(system.ready_timeout)
        back_at = time.monotonic()
        writer.wait_for(accepted=20)
        writer.finish()
        counts = Counts.of("publisher_killed", writer)
        assert counts.failed == 0, [o for o in writer.outcomes if o.kind == "failed"]
        # the restarted process may answer before its readiness probe does: accepted is fine
        window = writer.between(killed_at + 0.5, back_at - 0.5)
        down = [o for o in window if o.kind == "refused"]  # 503 no responder
        assert down, "no write reached the gateway while enrollment was down"
        assert {o.kind for o in window} <= {"refused", "accepted"}, window[:3]
        answered_within(down, GATEWAY_BOUND_S)
        check_schools_delivered(system, counts, writer)
        after = duplicates(system, CONSUMERS)
        counts.duplicates_ignored = {s: int(after[s] - before[s]) for s in CONSUMERS}
        counts.duplicates_ignored["enrollment-relay"] = relay_duplicates(system, "enrollment")
        record(counts, system.var, RESULTS)
        assert counts.lost == 0


class TestConsumerKilled:
    def test_evaluation_killed_while_applying_teacher_counts_applies_each_once(
        self, system: System, bureau: httpx.Client
    ) -> None:
        codes = [f"21154200{n:02d}" for n in range(6)]
        for code in codes:
            assert bureau.post("/enrollment/v1/schools", json=school(code)).status_code == 201
        staffing = Database(system, "staffing")
        evaluation = Database(system, "evaluation")
        try:
            wait_until(lambda: set(codes) <= staffing.school_codes(), 60, "staffing copies")
            items = (
                (f"t{n}", "/staffing/v1/teachers", teacher(codes[n % len(codes)], n))
                for n in itertools.count()
            )
            writer = Writer(bureau, items, pause=0.08)
            writer.start()
            writer.wait_for(accepted=15)
            dup_before_kill = metric(system, "evaluation", DUPLICATES)
            system.processes["evaluation"].kill()  # SIGKILL while it applies the stats events
            writer.wait_for(accepted=10)  # staffing keeps publishing meanwhile
            system.processes["evaluation"].start()
            system.processes["evaluation"].wait_ready(system.ready_timeout)
            writer.wait_for(accepted=10)
            writer.finish()
            counts = Counts.of("consumer_killed", writer)
            assert counts.failed == 0, [o for o in writer.outcomes if o.kind == "failed"]
            per_school = dict(
                staffing.rows(
                    "SELECT school_code, count(*) FROM teacher WHERE school_code IN "
                    "(:a, :b, :c, :d, :e, :f) GROUP BY school_code",
                    **dict(zip("abcdef", codes, strict=True)),
                )
            )
            committed = sum(per_school.values())
            counts.unknown_committed = committed - counts.accepted
            counts.lost = max(0, counts.accepted - committed)
            assert 0 <= counts.unknown_committed <= counts.unknown
            events = wait_until(lambda: _sent(staffing, TEACHER_STATS), 120, "outbox drained")
            stats_events = {e for code in codes for e in events.get(code, [])}
            # one counts event per registered teacher (each changes its school's counts)
            assert {c: len(events.get(c, [])) for c in codes} == {
                c: per_school.get(c, 0) for c in codes
            }

            def applied() -> list[str]:
                inbox = [e for e in evaluation.inbox("evaluation-teacher-stats")]
                return [e for e in inbox if e in stats_events]

            wait_until(lambda: len(applied()) == len(stats_events), 120, "stats applied")
            inbox = applied()
            assert len(inbox) == len(set(inbox)) == len(stats_events)
            copies = {
                code: (version, teachers)
                for code, version, teachers in evaluation.rows(
                    "SELECT s.school_code, s.version, t.full_time_teachers "
                    "FROM teacher_stats_school s JOIN teacher_stats_section t "
                    "ON t.school_code = s.school_code AND t.level = 'primary'"
                )
                if code in per_school
            }
            assert copies == {code: (n, n) for code, n in per_school.items()}
            counts.applied = {"evaluation": len(inbox)}
            counts.duplicates_ignored = {
                "evaluation": int(dup_before_kill + metric(system, "evaluation", DUPLICATES)),
                "staffing-relay": relay_duplicates(system, "staffing"),
            }
            record(counts, system.var, RESULTS)
        finally:
            staffing.close()
            evaluation.close()


class TestNatsOutage:
    def test_ten_seconds_without_nats_loses_nothing_and_the_gateway_never_hangs(
        self, system: System, bureau: httpx.Client
    ) -> None:
        assert system.nats is not None
        direct = httpx.Client(
            base_url=system.service_url("enrollment"),
            timeout=20,
            headers={"Authorization": bureau.headers["Authorization"]},
        )
        assert direct.get("/v1/schools").status_code == 200  # the service knows the key
        before = duplicates(system, CONSUMERS)
        through_gateway = Writer(bureau, schools("43"))
        to_service = Writer(direct, schools("44", "/v1/schools"))
        for writer in (through_gateway, to_service):
            writer.start()
        for writer in (through_gateway, to_service):
            writer.wait_for(accepted=10)
        stopped_at = time.monotonic()
        system.nats.stop()
        time.sleep(10)
        system.nats.start()  # same store directory, same port
        back_at = time.monotonic()
        for writer in (through_gateway, to_service):
            writer.wait_for(accepted=10, timeout=120)
        for writer in (through_gateway, to_service):
            writer.finish()
        direct.close()
        counts = Counts.of("nats_stopped_10s", through_gateway, to_service)
        outage = through_gateway.between(stopped_at + 1, back_at - 1)
        assert outage, "no write reached the gateway during the outage"
        assert {o.kind for o in outage} == {"refused"}, outage[:3]
        answered_within(outage, GATEWAY_BOUND_S)
        held = to_service.between(stopped_at, back_at)
        assert held, "no write reached enrollment during the outage"
        assert {o.kind for o in held} == {"accepted"}  # the outbox holds their events
        assert counts.failed == 0
        check_schools_delivered(system, counts, through_gateway, to_service)
        after = duplicates(system, CONSUMERS)
        counts.duplicates_ignored = {s: int(after[s] - before[s]) for s in CONSUMERS}
        counts.duplicates_ignored["enrollment-relay"] = relay_duplicates(system, "enrollment")
        counts.extra = {
            "gateway_refused_in_outage": len(outage),
            "slowest_gateway_answer_s": round(max(o.seconds for o in outage), 3),
            "accepted_by_service_in_outage": len(held),
        }
        record(counts, system.var, RESULTS)
        assert counts.lost == 0


class TestAgencyFaults:
    LOOKUP_BOUND_S = 12.0  # 2 s connector timeout × 3 attempts + backoff, well under the gateway's

    def lookup(self, bureau: httpx.Client, n: int) -> tuple[httpx.Response, float]:
        from junheng_kit.identifiers import citizen_id_from_body

        body = {
            "citizen_id": citizen_id_from_body(f"15060220150301{n:03d}"),
            "name": "故障测试学生",
            "county_code": "150602",
            "agencies": ["mca"],
            "purpose": "应助尽助 核查",
            "legal_basis": "教财〔2018〕16号",
        }
        started = time.monotonic()
        response = bureau.post("/assistance/v1/lookups", json=body)
        return response, time.monotonic() - started

    def test_a_slow_then_down_agency_is_answered_with_the_fallback_and_recovers(
        self, system: System, bureau: httpx.Client
    ) -> None:
        mca = system.agency_url("mca")
        entries_before = bureau.get("/assistance/v1/ledger/verify").json()["entries"]
        statuses: list[str] = []
        slowest = 0.0

        def ask(n: int) -> str:
            nonlocal slowest
            response, seconds = self.lookup(bureau, n)
            assert response.status_code == 200, response.text
            assert seconds < self.LOOKUP_BOUND_S, f"lookup took {seconds:.1f}s"
            slowest = max(slowest, seconds)
            result = response.json()["results"][0]
            if result["status"] == "unavailable":
                assert result["manual_evidence"] == "/v1/manual-evidence"
            statuses.append(result["status"])
            return str(result["status"])

        assert ask(0) == "verified"
        faults = [{"mode": "slow", "delay_ms": 5000}, {"mode": "down"}]
        for n, fault in enumerate(faults):
            assert httpx.put(f"{mca}/_sim/faults", json=fault, timeout=10).status_code == 200
            for k in range(3):
                assert ask(10 + 10 * n + k) == "unavailable"
        assert httpx.put(f"{mca}/_sim/faults", json={"mode": "ok"}, timeout=10).status_code == 200
        n = itertools.count(40)
        wait_until(lambda: ask(next(n)) == "verified", 30, "lookups verified again")
        verify = bureau.get("/assistance/v1/ledger/verify")
        assert verify.status_code == 200, verify.text
        assert verify.json()["intact"] is True
        ledgered = verify.json()["entries"] - entries_before
        counts = Counts(
            "agency_slow_then_down",
            sent=len(statuses),
            accepted=len(statuses),
            applied={"ledger": ledgered},
            lost=len(statuses) - ledgered,
            extra={
                "verified": statuses.count("verified"),
                "unavailable": statuses.count("unavailable"),
                "slowest_lookup_s": round(slowest, 3),
            },
        )
        record(counts, system.var, RESULTS)
        assert counts.lost == 0


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    # its own temp dir (the `postgres` user cannot enter pytest's root-only directories);
    # crash-safe: the tests' default cluster loses the last acknowledged commits when stopped
    # immediately (synchronous_commit=off), which this test would rightly call lost writes
    running = PostgresCluster(crash_safe=True).start()
    yield running
    running.discard()


@pytest.fixture(scope="module")
def pg_system(
    system: System, cluster: PostgresCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    system.stop()  # one System at a time on two cores; the SQLite scenarios are done
    urls = {name: cluster.create_database(f"faults_{name}") for name in SERVICES}
    running = start_system(tmp_path_factory.mktemp("faults-on-pg"), database_urls=urls, agencies=())
    yield running
    running.stop()


class TestPostgresRestart:
    def test_postgres_restarted_during_writes_refuses_then_recovers_without_loss(
        self, pg_system: System, cluster: PostgresCluster
    ) -> None:
        with client_of(pg_system) as bureau:
            writer = Writer(bureau, schools("45"))
            writer.start()
            writer.wait_for(accepted=15)
            stopped_at = time.monotonic()
            cluster.stop()  # immediate: connections are cut mid-transaction
            time.sleep(3)
            cluster.start()  # same data directory and port
            back_at = time.monotonic()
            writer.wait_for(accepted=15, timeout=120)
            writer.finish()
        counts = Counts.of("postgres_restarted", writer)
        assert counts.failed == 0, [o for o in writer.outcomes if o.kind == "failed"][:3]
        outage = writer.between(stopped_at + 0.5, back_at - 0.5)
        assert outage, "no write reached enrollment while PostgreSQL was down"
        assert {o.kind for o in outage} == {"refused"}, outage[:3]  # 503, not 500
        answered_within(outage, GATEWAY_BOUND_S)
        for name, process in pg_system.processes.items():
            assert process.process is not None, name
            assert process.process.poll() is None, f"{name} exited: services recover in place"
        check_schools_delivered(pg_system, counts, writer)
        counts.duplicates_ignored = {
            **{s: int(metric(pg_system, s, DUPLICATES)) for s in CONSUMERS},
            "enrollment-relay": relay_duplicates(pg_system, "enrollment"),
        }
        counts.extra = {"refused_in_outage": len(outage)}
        record(counts, pg_system.var, RESULTS)
        assert counts.lost == 0
