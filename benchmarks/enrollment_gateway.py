"""`make bench`: enrollment through the gateway, against the same requests sent straight to the
enrollment service, in one run (issue 5's two end-to-end goals).

1. Application submissions (POST /enrollment/v1/applications, valid and distinct 公民身份号码,
   homes in a 单校 zone of the demo intake, Idempotency-Key) by 64 and by 256 concurrent
   connections of wrk (benchmarks/submissions.lua) for a fixed time, gateway and direct
   interleaved (G, D, G, D): applications accepted per second (idempotent replays and refusals
   counted apart), the CPU each process spent per accepted application, and how many
   applications shared a transaction (group commit).
   Goal: ≥ 1,000 per second through the gateway on SQLite.
2. An explicit 200,000 × 1,000 电脑派位 instance (the lottery benchmark's synthetic instance,
   about 30 MB of JSON) POSTed to /enrollment/v1/assignment-runs; the clock runs until the whole
   answer (assignments, cutoffs, explanations, lotteries) has been read. Goal: ≤ 15 s through the
   gateway. The direct POST is the baseline.

The whole system runs as processes on SQLite (junheng_devtools.system.System). Environment:
JUNHENG_BENCH_SUBMIT_SECONDS (per phase, default 10), JUNHENG_BENCH_RUN_APPLICANTS (default
200000; 0 leaves part 2 out).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from junheng_devtools.bench import cpu_seconds, demo_enrollment_system
from junheng_devtools.demo_enrollment import intake_year

from junheng_kit.identifiers import citizen_id_from_body
from junheng_kit.timeutil import china_today

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lottery_assignment import synthetic

ROOT = Path(__file__).resolve().parents[1]
SUBMIT_SECONDS = float(os.environ.get("JUNHENG_BENCH_SUBMIT_SECONDS", "10"))
RUN_APPLICANTS = int(os.environ.get("JUNHENG_BENCH_RUN_APPLICANTS", "200000"))
CONCURRENCY = 64  # the default of the profiling helpers; the bench runs CLIENTS
CLIENTS = (64, 256)  # a county office's busy hour; opening day through an app backend
WRK_THREADS = 2
MAX_RATE = 6_000  # bodies prepared per second of a phase: twice the fastest rate seen
TODAY = china_today()
YEAR = intake_year(TODAY)


def bodies(start: int) -> Iterator[dict[str, Any]]:
    """Distinct grade-1 applications (729,270 of them): local owners living in zone DS-P02 (单校),
    children born within the two years before the age cut-off, IDs issued in 150627 (none of
    the demo families')."""
    n = start
    while True:
        n += 1
        day, serial = divmod(n, 999)
        born = f"{date(YEAR - 8, 9, 1) + timedelta(days=day % 730):%Y%m%d}"  # 6 by 31 August
        citizen_id = citizen_id_from_body(f"150627{born}{serial:03d}")
        yield {
            "county_code": "150602",
            "year": YEAR,
            "grade": 1,
            "child": {
                "citizen_id": citizen_id,
                "name": "压测儿童",
                "birth_date": f"{born[:4]}-{born[4:6]}-{born[6:]}",
            },
            "guardian": {"name": "家长", "relation": "mother", "phone": "13900000000"},
            "household": {
                "hukou": {"county_code": "150602", "type": "urban", "address": "东胜区某街道"},
                "housing": "owned",
                "social_insurance_months": 36,
            },
            "home": {"longitude": 109.96, "latitude": 39.81, "address": "东胜区某小区"},
            "choices": [],
        }


def submit_for(
    base: str,
    token: str,
    source: Iterator[dict[str, Any]],
    seconds: float,
    folder: Path,
    clients: int = CONCURRENCY,
) -> dict[str, float]:
    """wrk (C, two threads, `clients` connections) POSTs distinct bodies for `seconds`; the
    load generator costs next to nothing beside the services sharing the machine."""
    bodies_file = write_bodies(source, seconds, folder / "bodies.jsonl")
    done = subprocess.run(
        wrk_submissions(base, token, bodies_file, seconds, clients),
        check=True,
        capture_output=True,
        text=True,
    )
    return submissions_result(done.stdout)


def write_bodies(source: Iterator[dict[str, Any]], seconds: float, path: Path) -> Path:
    """The bodies of one phase, one JSON line each: MAX_RATE per second of it."""
    lines = [
        json.dumps(next(source), ensure_ascii=False, separators=(",", ":"))
        for _ in range(int(MAX_RATE * seconds))
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def wrk_submissions(
    base: str, token: str, bodies_file: Path, seconds: float, clients: int
) -> list[str]:
    """The wrk command POSTing `bodies_file` to `base`/v1/applications (submissions.lua)."""
    url = httpx.URL(base)
    return [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{clients}",
        f"-d{seconds:g}s",
        "--timeout",
        "60s",
        "-s",
        str(Path(__file__).with_name("submissions.lua")),
        str(url.copy_with(path="/")),
        "--",
        str(bodies_file),
        url.path.rstrip("/") + "/v1/applications",
        token,
        str(WRK_THREADS),
    ]


def submissions_result(stdout: str) -> dict[str, float]:
    """What submissions.lua reported: accepted per second, other answers by status, latency."""
    line = next(x for x in stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    accepted = int(result["accepted"])
    return {
        "per_s": accepted / result["seconds"],
        "accepted": accepted,
        "other": sum(result["others"].values()) + result["replayed"] + result["errors"],
        **{f"status_{k}": float(v) for k, v in result["others"].items()},
        "replayed": float(result["replayed"]),
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
    }


def batch_totals(service_url: str) -> tuple[float, float]:
    """Applications recorded and transactions that recorded them so far (group commit: the
    service's junheng_batch_items histogram)."""
    text = httpx.get(f"{service_url}/metrics", timeout=10).text
    totals = {"sum": 0.0, "count": 0.0}
    for line in text.splitlines():
        for kind in totals:
            if line.startswith(f'junheng_batch_items_{kind}{{batch="applications"}}'):
                totals[kind] = float(line.rsplit(" ", 1)[1])
    return totals["sum"], totals["count"]


def post_instance(url: str, token: str, body: bytes) -> tuple[float, int, int, int]:
    """(seconds, answer bytes, bytes on the wire, families placed or not); httpx asks for
    gzip/deflate as integrators' clients do."""
    began = time.perf_counter()
    with httpx.stream(
        "POST",
        f"{url}/v1/assignment-runs",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=300,
    ) as response:
        content = response.read()
        wire = response.num_bytes_downloaded
    elapsed = time.perf_counter() - began
    if response.status_code != 201:
        raise RuntimeError(f"run: {response.status_code} {content[:500]!r}")
    return elapsed, len(content), wire, len(json.loads(content)["assignments"])


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as var,
        demo_enrollment_system(Path(var)) as (system, token),
    ):
        gateway = f"{system.gateway_url}/enrollment"
        direct = system.service_url("enrollment")

        source = bodies(0)
        pids = {
            n: system.processes[n].process.pid  # type: ignore[union-attr]
            for n in ("gateway", "enrollment")
        }
        phases: dict[tuple[int, str], list[dict[str, float]]] = {}
        for clients in CLIENTS:
            for _ in range(2):
                for name, base in (("gateway", gateway), ("direct", direct)):
                    before = {n: cpu_seconds(p) for n, p in pids.items()}
                    batched = batch_totals(direct)
                    result = submit_for(base, token, source, SUBMIT_SECONDS, Path(var), clients)
                    items, batches = (
                        a - b for a, b in zip(batch_totals(direct), batched, strict=True)
                    )
                    result["per_batch"] = items / max(batches, 1)
                    for n, p in pids.items():  # CPU ms each accepted submission cost there
                        result[f"cpu_{n}"] = (
                            1000 * (cpu_seconds(p) - before[n]) / max(result["accepted"], 1)
                        )
                    phases.setdefault((clients, name), []).append(result)

        runs: dict[str, list[tuple[float, int, int, int]]] = {"gateway": [], "direct": []}
        instance_bytes = 0
        if RUN_APPLICANTS:
            instance = synthetic(RUN_APPLICANTS, 1_000)
            body = json.dumps(
                {
                    "seed": instance.seed,
                    "mechanism": instance.mechanism,
                    "tie_breaking": instance.tie_breaking,
                    "schools": [
                        {"school_code": s.code, "capacity": s.capacity} for s in instance.schools
                    ],
                    "applicants": [
                        {
                            "application_id": a.application_id,
                            "preferences": list(a.preferences),
                            "priorities": a.priorities,
                        }
                        for a in instance.applicants
                    ],
                },
                ensure_ascii=False,
                separators=(",", ":"),
            ).encode()
            for _ in range(2):
                runs["gateway"].append(post_instance(gateway, token, body))
                runs["direct"].append(post_instance(direct, token, body))
            instance_bytes = len(body)

    report_submissions(phases)
    if RUN_APPLICANTS:
        report_runs(runs, instance_bytes)


def report_submissions(phases: dict[tuple[int, str], list[dict[str, float]]]) -> None:
    print("\nEnrollment end to end on SQLite, gateway vs straight to the service (one run)")
    print(f"application submissions by wrk, 2 × {SUBMIT_SECONDS:.0f} s per path and client count")
    print(
        f"{'clients':>7}  {'path':<9}{'accepted/s':>11}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'accepted':>10}{'other':>7}{'per txn':>9}{'CPU enr. ms':>13}{'CPU gw ms':>11}"
    )
    medians: dict[tuple[int, str], float] = {}
    others: dict[str, float] = {}
    for (clients, name), results in phases.items():
        medians[clients, name] = statistics.median(r["per_s"] for r in results)

        def median(key: str, rows: list[dict[str, float]] = results) -> float:
            return statistics.median(r[key] for r in rows)

        print(
            f"{clients:>7}  {name:<9}{medians[clients, name]:>11.0f}"
            f"{median('p50_ms'):>9.1f}{median('p99_ms'):>9.1f}"
            f"{sum(int(r['accepted']) for r in results):>10}"
            f"{sum(int(r['other']) for r in results):>7}"
            f"{median('per_batch'):>9.1f}{median('cpu_enrollment'):>13.2f}"
            f"{median('cpu_gateway'):>11.2f}"
        )
        for r in results:
            for key, value in r.items():
                if key.startswith("status_") or key == "replayed":
                    status = key.removeprefix("status_")
                    others[status] = others.get(status, 0) + value
    if any(others.values()):
        print("other answers by status: " + ", ".join(f"{k}: {v:.0f}" for k, v in others.items()))
    print(
        "per txn: applications recorded per transaction (group commit); CPU: milliseconds of "
        "each process per accepted application"
    )
    for clients in CLIENTS:
        ratio = medians[clients, "gateway"] / medians[clients, "direct"]
        print(f"ratio gateway ÷ direct at {clients} clients: {ratio:.2f}")
    best = max(medians[clients, "gateway"] for clients in CLIENTS)
    verdict = "met" if best >= 1000 else "NOT met"
    print(
        f"goal ≥ 1,000 applications/s through the gateway on SQLite: {verdict} "
        f"({best:.0f}/s at {max(CLIENTS, key=lambda c: medians[c, 'gateway'])} clients)"
    )


def report_runs(runs: dict[str, list[tuple[float, int, int, int]]], instance_bytes: int) -> None:
    size = instance_bytes / 1e6
    print(
        f"\n电脑派位 explicit instance {RUN_APPLICANTS:,} × 1,000 ({size:.1f} MB), "
        "POST → complete answer read, median of 2"
    )
    answer = runs["gateway"][0][1] / 1e6
    for name, timings in runs.items():
        seconds = statistics.median(r[0] for r in timings)
        wire = timings[0][2] / 1e6
        print(f"{name:<10}{seconds:>8.2f} s  (answer {answer:.1f} MB, {wire:.1f} MB on the wire)")
    through = statistics.median(r[0] for r in runs["gateway"])
    ratio = through / statistics.median(r[0] for r in runs["direct"])
    print(f"ratio gateway ÷ direct: {ratio:.2f}")
    print(f"goal ≤ 15 s through the gateway: {'met' if through <= 15 else 'NOT met'}")


if __name__ == "__main__":
    main()
