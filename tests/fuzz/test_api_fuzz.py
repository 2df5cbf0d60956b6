"""Property-based fuzzing of every operation the gateway publishes (issue 8 §1).

The whole system runs as real processes (nats-server, four services, the agency simulators and
the gateway, SQLite), holds a demo county (schools, resource table, pupil roster) so reads meet
real rows, and schemathesis sends generated requests, valid and invalid, to every operation of
the gateway's merged OpenAPI with a bearer token for all scopes in 东胜区 (150602).

Each response must be
- no server error (no 5xx),
- for a 4xx, RFC 9457 problem+json with `type`, `title` and `status` (the status of the response),
- a status code the operation documents, with a content type and a body its schema allows.

`make test` runs 4 fuzzing examples per operation (plus schemathesis' examples and coverage
phases: ~50 requests per operation, 8,400 in all); `make fuzz` runs JUNHENG_FUZZ_EXAMPLES=200.
Nothing is excluded: the token form (`POST /oauth/token`), the health routes and the file
downloads (XLSX, PDF, HTML reports) are fuzzed like the rest. A summary per service (operations,
examples, failures) is printed at the end and written to `<var>/fuzz-summary.json`.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import schemathesis.engine
from junheng_devtools.demo import load_demo_county, load_demo_resources, load_demo_roster
from junheng_devtools.demo_roster import pupils, roster_csv
from junheng_devtools.system import ALL_SCOPES, System
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events

from junheng_kit.processes import free_port

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("JUNHENG_FUZZ_EXAMPLES", "4"))
ROOT = Path(__file__).resolve().parents[2]
COUNTY = "150602"
TOKEN_REFRESH_SECONDS = 600.0  # the gateway's tokens live 15 minutes; a long run outlives one
OPENAPI_COMPLETE_WITHIN_SECONDS = 180.0
PROBLEM_JSON = "application/problem+json"
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
READY_SECONDS = 240.0
# every operation runs inside this one test (schemathesis' engine): a budget that grows
# with the example count instead of the suite's 300 s per test
TIMEOUT_SECONDS = max(900, 20 * EXAMPLES * 60)


@dataclass
class Bearer:
    """A token for the fuzzing client, fetched again before it expires."""

    system: System
    credentials: dict[str, Any]
    _token: str = ""
    _fetched: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def header(self) -> dict[str, str]:
        with self._lock:
            if not self._token or time.monotonic() - self._fetched > TOKEN_REFRESH_SECONDS:
                self._token = self.system.token(self.credentials)
                self._fetched = time.monotonic()
            return {"Authorization": f"Bearer {self._token}"}


@dataclass
class Tally:
    """Examples run and failures per operation, for the summary a person reads at the end."""

    operations: dict[str, str] = field(default_factory=dict)  # label → service
    examples: dict[str, int] = field(default_factory=dict)
    failures: dict[str, set[str]] = field(default_factory=dict)  # label → distinct failures
    checks_run: Counter[str] = field(default_factory=Counter)

    def record(self, recorder: Any) -> None:
        label = recorder.label
        self.examples[label] = self.examples.get(label, 0) + len(recorder.interactions)
        for case_id, checks in recorder.checks.items():
            for check in checks:
                self.checks_run[check.name] += 1
                if check.status != Status.FAILURE or check.failure_info is None:
                    continue
                failure = check.failure_info.failure
                interaction = recorder.interactions.get(case_id)
                response = interaction.response if interaction is not None else None
                status = response.status_code if response is not None else None
                sent = interaction.request if interaction is not None else None
                self.failures.setdefault(label, set()).add(
                    f"{check.name} ({status}): {failure.title} — {failure.message[:200]}"
                    f" | {sent.method if sent else ''} {sent.uri if sent else ''}"[:600]
                )

    def summary(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for label, service in sorted(self.operations.items()):
            row = out.setdefault(
                service,
                {"operations": 0, "examples": 0, "failing_operations": 0, "failures": 0},
            )
            row["operations"] += 1
            row["examples"] += self.examples.get(label, 0)
            distinct = self.failures.get(label, set())
            row["failing_operations"] += bool(distinct)
            row["failures"] += len(distinct)
        return out


def service_of(path: str) -> str:
    first = path.strip("/").split("/", 1)[0]
    return first if first in ("enrollment", "staffing", "assistance", "evaluation") else "gateway"


@schemathesis.check
def problem_details(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx is RFC 9457 problem+json with type, title and the response's status."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.split(";")[0].strip() == PROBLEM_JSON, (
        f"{response.status_code} answered with content type {content_type!r}, not {PROBLEM_JSON}"
    )
    body = json.loads(response.content)
    missing = [key for key in ("type", "title", "status") if key not in body]
    assert not missing, f"problem body without {', '.join(missing)}: {body}"
    assert body["status"] == response.status_code, (
        f"problem status {body['status']} on a {response.status_code} response"
    )
    return True


CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "problem_details",
)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    running = System(
        var=tmp_path_factory.mktemp("fuzz-system"),
        gateway_port=free_port(),
        extra_env={
            "GATEWAY_RATE_LIMIT_PER_SECOND": "10000",
            "GATEWAY_RATE_LIMIT_BURST": "20000",
            # the token form is fuzzed from 127.0.0.1 like everything else: the client's own
            # token requests must not be throttled by the attempts of the fuzzer
            "GATEWAY_TOKEN_ATTEMPTS_PER_ADDRESS_PER_MINUTE": "100000",
            "GATEWAY_TOKEN_FAILURES_PER_CLIENT_PER_MINUTE": "100000",
        },
        ready_timeout=READY_SECONDS,  # eleven processes import at once on two busy cores
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()  # also when a process failed to start


@pytest.fixture(scope="module")
def bearer(system: System, tmp_path_factory: pytest.TempPathFactory) -> Bearer:
    credentials = system.register_client(
        name="东胜区教育局 (fuzz)", scopes=ALL_SCOPES, jurisdiction=[COUNTY]
    )
    bearer = Bearer(system, credentials)
    token = bearer.header()["Authorization"].removeprefix("Bearer ")
    demo = ROOT / "demo" / "150602-dongsheng-schools.json"
    load_demo_county(system, token, demo)
    load_demo_resources(
        system,
        token,
        ROOT / "demo" / "150602-school-resources-2025.json",
        tmp_path_factory.mktemp("fuzz-demo") / "resources.xlsx",
    )
    schools = json.loads(demo.read_text())["schools"]
    load_demo_roster(system, token, roster_csv(pupils(COUNTY, schools, per_grade=2)))
    return bearer


@pytest.fixture(scope="module")
def merged_openapi(system: System, bearer: Bearer) -> dict[str, Any]:
    """The gateway's merged document once every service is in it (a busy service may miss the
    first build; the gateway rebuilds an incomplete document after a short while)."""
    deadline = time.monotonic() + OPENAPI_COMPLETE_WITHIN_SECONDS
    while True:
        document = httpx.get(f"{system.gateway_url}/openapi.json", timeout=60).json()
        if "Not listed" not in document["info"].get("description", ""):
            return dict(document)
        if time.monotonic() > deadline:
            raise AssertionError(f"merged OpenAPI still incomplete: {document['info']}")
        time.sleep(5)


def fuzz(document: dict[str, Any], base_url: str, bearer: Bearer) -> Tally:
    """Every operation through schemathesis' engine (examples, coverage and fuzzing phases)."""
    config = SchemathesisConfig.from_dict(
        {
            "base-url": base_url,
            # one worker: with two, the engine's threads compiling generated code at once hit a
            # CPython race ("AST constructor recursion depth mismatch", a SystemError in the test
            # process, not an answer of ours) in a CI run
            "workers": 1,
            "generation": {"max-examples": EXAMPLES},
            "phases": {"stateful": {"enabled": False}},
            "request-timeout": 60,
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )
    schema = schemathesis.openapi.from_dict(document, config=config)

    @schema.auth(refresh_interval=None)  # Bearer keeps and renews the token itself
    class GatewayToken:
        def get(self, case: Any, context: Any) -> str:
            return bearer.header()["Authorization"]

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": data}

    tally = Tally()
    for path, item in document["paths"].items():
        for method in item:
            if method in HTTP_METHODS:
                tally.operations[f"{method.upper()} {path}"] = service_of(path)
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            tally.record(event.recorder)
        elif isinstance(event, events.NonFatalError):
            tally.failures.setdefault(event.label, set()).add(f"error: {event.value!r}"[:300])
        elif isinstance(event, events.FatalError):
            raise event.exception
    return tally


def report(tally: Tally, var: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary = tally.summary()
    path = var / "fuzz-summary.json"
    path.write_text(
        json.dumps(
            {
                "examples_per_operation": EXAMPLES,
                "services": summary,
                "checks_run": dict(sorted(tally.checks_run.items())),
            },
            indent=2,
        )
        + "\n"
    )
    lines = [f"fuzz summary (max_examples={EXAMPLES}; {path}):"]
    lines += [
        f"  {service:<11} {row['operations']:>4} operations  {row['examples']:>6} examples  "
        f"{row['failing_operations']:>3} failing operations  {row['failures']:>3} failures"
        for service, row in summary.items()
    ]
    total = {k: sum(row[k] for row in summary.values()) for k in ("operations", "examples")}
    lines.append(
        f"  {'total':<11} {total['operations']:>4} operations  {total['examples']:>6} examples"
    )
    with capsys.disabled():  # for the person running `make fuzz`, also when the test passes
        print("\n" + "\n".join(lines), flush=True)


@pytest.mark.timeout(TIMEOUT_SECONDS)
def test_every_operation_answers_within_its_contract(
    system: System,
    bearer: Bearer,
    merged_openapi: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    tally = fuzz(merged_openapi, system.gateway_url, bearer)
    report(tally, system.var, capsys)
    assert {name for name in CHECKS if tally.checks_run[name] > 0} == set(CHECKS)
    assert len(tally.operations) >= 130  # the four services and the gateway's own routes
    assert all(tally.examples.get(label, 0) > 0 for label in tally.operations), [
        label for label in tally.operations if not tally.examples.get(label)
    ]
    failures = {label: sorted(found) for label, found in tally.failures.items()}
    assert failures == {}, json.dumps(failures, indent=2, ensure_ascii=False)
