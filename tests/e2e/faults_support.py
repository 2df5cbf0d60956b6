"""Helpers of the fault tests: a writer thread that keeps writing and classifies every answer,
read-only views of the services' databases (outbox, inbox, read models), the consumers'
duplicate counters from /metrics, and the per-scenario counts the tests print and store.

Answers are classified the way a client must read them:
- accepted: 201 — the write committed; it must exist and reach every consumer once;
- refused: 503 problem+json — the write did not run (no responder, database or NATS down);
- unknown: no answer (connection cut) or 504 — the write may or may not have committed;
- failed: anything else (500, a hang past the client timeout is `unknown` with its latency).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from junheng_devtools.system import System
from sqlalchemy import create_engine, text

from junheng_kit.db import sync_url
from junheng_kit.identifiers import citizen_id_from_body

PROBLEM_JSON = "application/problem+json"


def school(code: str, county: str = "150602") -> dict[str, Any]:
    return {
        "school_code": code,
        "name": f"东胜区故障测试小学{code[-4:]}",
        "levels": ["primary"],
        "county_code": county,
        "location": {"longitude": 109.99, "latitude": 39.82},
        "planned_capacity": 900,
    }


def teacher(school_code: str, sequence: int) -> dict[str, Any]:
    """A full-time primary teacher with a valid 公民身份号码 (one per sequence number)."""
    birth = f"1985{1 + sequence % 12:02d}{1 + sequence % 28:02d}"
    return {
        "citizen_id": citizen_id_from_body(f"150602{birth}{sequence % 1000:03d}"),
        "name": "故障测试教师",
        "birth_date": f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
        "school_code": school_code,
        "section": "primary",
        "school_joined_on": "2015-09-01",
        "post_type": "full_time",
        "subjects": ["语文"],
        "title": "一级",
        "degree": "本科",
        "backbone_level": None,
        "staffing_status": "在编",
        "hire_date": "2008-09-01",
    }


@dataclass
class Outcome:
    key: str
    status: int | None  # None: no answer
    seconds: float
    problem: bool = False  # answered application/problem+json
    detail: str = ""
    started: float = 0.0  # time.monotonic() when sent

    @property
    def kind(self) -> str:
        if self.status == 201:
            return "accepted"
        if self.status == 503 and self.problem:
            return "refused"
        if self.status is None or (self.status == 504 and self.problem):
            return "unknown"
        return "failed"


class Writer(threading.Thread):
    """POSTs `(key, path, body)` items one after another until they run out or `stop()`;
    every answer is kept as an Outcome. `pause` seconds between writes keeps the load steady
    (longer after a refusal, as a client backing off would)."""

    def __init__(
        self,
        client: httpx.Client,
        items: Iterable[tuple[str, str, dict[str, Any]]],
        *,
        pause: float = 0.03,
        pause_refused: float = 0.2,
        idempotency: bool = True,
    ) -> None:
        super().__init__(daemon=True)
        self.client, self.items, self.pause = client, iter(items), pause
        self.pause_refused = pause_refused
        self.idempotency = idempotency
        self.outcomes: list[Outcome] = []
        self._halt = threading.Event()

    def run(self) -> None:
        for key, path, body in self.items:
            if self._halt.is_set():
                return
            headers = {"Idempotency-Key": f"fault-{key}"} if self.idempotency else {}
            started = time.monotonic()
            try:
                response = self.client.post(path, json=body, headers=headers)
            except httpx.HTTPError as exc:
                outcome = Outcome(
                    key,
                    None,
                    time.monotonic() - started,
                    detail=type(exc).__name__,
                    started=started,
                )
            else:
                outcome = Outcome(
                    key,
                    response.status_code,
                    time.monotonic() - started,
                    response.headers.get("content-type", "").startswith(PROBLEM_JSON),
                    response.text[:300] if response.status_code != 201 else "",
                    started,
                )
            self.outcomes.append(outcome)
            time.sleep(self.pause if outcome.kind == "accepted" else self.pause_refused)

    def stop(self) -> None:
        self._halt.set()

    def keys(self, kind: str) -> list[str]:
        return [o.key for o in self.outcomes if o.kind == kind]

    def between(self, start: float, end: float) -> list[Outcome]:
        """The writes sent in [start, end] (time.monotonic())."""
        return [o for o in self.outcomes if start <= o.started <= end]

    def wait_for(self, accepted: int, timeout: float = 90) -> None:
        """Until `accepted` more writes than now have been answered 201."""
        target = len(self.keys("accepted")) + accepted
        deadline = time.monotonic() + timeout
        while len(self.keys("accepted")) < target:
            if time.monotonic() > deadline or not self.is_alive():
                raise AssertionError(
                    f"only {len(self.keys('accepted'))} writes accepted: {self.outcomes[-3:]}"
                )
            time.sleep(0.05)

    def wait_for_more(self, count: int, timeout: float = 60) -> None:
        """Until `count` more answers (of any kind) have come back."""
        target = len(self.outcomes) + count
        deadline = time.monotonic() + timeout
        while len(self.outcomes) < target and self.is_alive():
            if time.monotonic() > deadline:
                raise AssertionError(f"no {count} answers within {timeout}s")
            time.sleep(0.05)

    def finish(self, timeout: float = 60) -> None:
        self.stop()
        self.join(timeout)
        assert not self.is_alive(), "a write hung past the client timeout"


def wait_until(check: Callable[[], Any], timeout: float = 60.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"{what or 'condition'} not reached within {timeout}s; last {last!r}")


class Database:
    """A read-only window on one service's database (SQLite file or PostgreSQL)."""

    def __init__(self, system: System, service: str) -> None:
        url = system.processes[service].env[f"{service.upper()}_DATABASE_URL"]
        self.engine = create_engine(sync_url(url), pool_pre_ping=True)

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as connection:
            return list(connection.execute(text(sql), params).all())

    def outbox(self, subject: str) -> dict[str, list[str]]:
        """Event ids per aggregate subject (school code) staged for `subject`, sent or not."""
        found: dict[str, list[str]] = {}
        for payload, sent_at in self.rows(
            "SELECT payload, sent_at FROM outbox_message WHERE subject = :s", s=subject
        ):
            event = json.loads(bytes(payload))
            found.setdefault(event["subject"], []).append(event["id"])
            assert sent_at is not None, f"event {event['id']} still unsent"
        return found

    def inbox(self, durable: str) -> list[str]:
        return [
            r[0]
            for r in self.rows(
                "SELECT event_id FROM processed_message WHERE consumer = :c", c=durable
            )
        ]

    def school_codes(self) -> set[str]:
        return {r[0] for r in self.rows("SELECT school_code FROM school")}

    def school_copies(self, codes: Iterable[str]) -> dict[str, str]:
        """school_code → source_event_id of the service's school copy (enrollment: its id)."""
        wanted = set(codes)
        return {
            code: str(source)
            for code, source in self.rows("SELECT school_code, source_event_id FROM school")
            if code in wanted
        }

    def close(self) -> None:
        self.engine.dispose()


_METRICS_HTTP = httpx.Client(timeout=10)  # one client: each new one loads the CA bundle
_SAMPLE = re.compile(r"^(\w+)\{([^}]*)\}\s+([0-9.e+-]+)$")


def metric(system: System, service: str, name: str, **labels: str) -> float:
    """The sum of a counter's samples matching `labels` on a service's /metrics (0 if absent)."""
    response = _METRICS_HTTP.get(f"{system.service_url(service)}/metrics")
    response.raise_for_status()
    total = 0.0
    for line in response.text.splitlines():
        found = _SAMPLE.match(line)
        if not found or found[1] != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', found[2]))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(found[3])
    return total


@dataclass
class Counts:
    scenario: str
    sent: int = 0
    accepted: int = 0
    refused: int = 0
    unknown: int = 0
    unknown_committed: int = 0
    failed: int = 0
    applied: dict[str, int] = field(default_factory=dict)
    lost: int = 0
    duplicates_ignored: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, scenario: str, *writers: Writer) -> Counts:
        outcomes = [o for w in writers for o in w.outcomes]
        kinds = [o.kind for o in outcomes]
        return cls(
            scenario,
            sent=len(outcomes),
            accepted=kinds.count("accepted"),
            refused=kinds.count("refused"),
            unknown=kinds.count("unknown"),
            failed=kinds.count("failed"),
        )

    def line(self) -> str:
        applied = " ".join(f"{k}={v}" for k, v in self.applied.items())
        dups = " ".join(f"{k}={v}" for k, v in self.duplicates_ignored.items())
        extra = " ".join(f"{k}={v}" for k, v in self.extra.items())
        return (
            f"[fault] {self.scenario}: sent={self.sent} accepted={self.accepted} "
            f"refused={self.refused} unknown={self.unknown} "
            f"(committed {self.unknown_committed}) failed={self.failed} applied: {applied} "
            f"lost={self.lost} duplicates ignored: {dups or 'none'} {extra}".rstrip()
        )


def record(counts: Counts, var: Path, results: dict[str, Any]) -> None:
    """Print the scenario's line and (re)write every scenario's counts to var/fault-counts.json."""
    print(counts.line(), flush=True)
    results[counts.scenario] = asdict(counts)
    (var / "fault-counts.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
