"""`make bench`: families polling their application's status (issue 18 §3) through the gateway,
beside the same requests sent straight to the enrollment service, in one run.

The demo county's verified applications (junheng_devtools.demo, as `make run` loads them) are
each read once to learn their ETag; then wrk (C, two threads, 64 connections; the load
generator costs next to nothing beside the services sharing the machine) GETs
`/v1/applications/{id}` for a random family on every request, for a fixed time per phase:

- `304`: with `If-None-Match: <the ETag the family saw>` — the status has not changed, the
  answer is `304 Not Modified` with no body (the normal case of a family app polling);
- `200`: without it — the full answer every time.

Phases interleave gateway and direct (G, D, G, D) per kind; the figures are medians of the
two: requests per second, p50 and p99 latency, and the CPU milliseconds the gateway and the
enrollment process each spent per poll (/proc, user + system) — a figure the other load on a
shared machine does not move, from which the rate two idle cores could serve is projected
(2,000 ms ÷ the CPU ms both processes spend per poll; wrk's own share left out). Goal: ≥ 1,000
polls per second through the gateway on this 2-core machine. Environment:
JUNHENG_BENCH_STATUS_SECONDS (per phase, default 10).

The whole system runs as processes on SQLite (junheng_devtools.system.System).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
from pathlib import Path

import httpx
from junheng_devtools.bench import cpu_seconds, demo_enrollment_system

ROOT = Path(__file__).resolve().parents[1]
SECONDS = float(os.environ.get("JUNHENG_BENCH_STATUS_SECONDS", "10"))
CLIENTS = 64
WRK_THREADS = 2
KINDS = ("304", "200")


def families(base: str, token: str, folder: Path) -> tuple[Path, int]:
    """Every application of the demo county with the ETag of its current answer, one
    "id etag" line each (the ETags are the service's: the gateway passes them through)."""
    lines = []
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as http:
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"limit": 500}
            if cursor:
                params["cursor"] = cursor
            page = http.get("/v1/applications", params=params).raise_for_status().json()
            for item in page["items"]:
                answer = http.get(f"/v1/applications/{item['id']}").raise_for_status()
                lines.append(f"{item['id']} {answer.headers['etag']}")
            cursor = page["next_cursor"]
            if cursor is None:
                break
    path = folder / "families.txt"
    path.write_text("\n".join(lines) + "\n")
    return path, len(lines)


def poll(base: str, token: str, ids_file: Path, *, conditional: bool) -> dict[str, float]:
    url = httpx.URL(base)
    done = subprocess.run(
        [
            "wrk",
            f"-t{WRK_THREADS}",
            f"-c{CLIENTS}",
            f"-d{SECONDS:g}s",
            "--timeout",
            "30s",
            "-s",
            str(Path(__file__).with_name("status_polls.lua")),
            str(url.copy_with(path="/")),
            "--",
            str(ids_file),
            url.path.rstrip("/") + "/v1/applications/",
            token,
            "1" if conditional else "0",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    answered = result["ok"] + result["not_modified"]
    return {
        "per_s": answered / result["seconds"],
        "ok": result["ok"],
        "not_modified": result["not_modified"],
        "other": sum(result["others"].values()) + result["errors"],
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
    }


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as var,
        demo_enrollment_system(Path(var)) as (system, token),
    ):
        gateway = f"{system.gateway_url}/enrollment"
        direct = system.service_url("enrollment")
        ids_file, count = families(gateway, token, Path(var))
        pids = {
            n: system.processes[n].process.pid  # type: ignore[union-attr]
            for n in ("gateway", "enrollment")
        }
        phases: dict[tuple[str, str], list[dict[str, float]]] = {}
        for kind in KINDS:
            for _ in range(2):
                for name, base in (("gateway", gateway), ("direct", direct)):
                    before = {n: cpu_seconds(p) for n, p in pids.items()}
                    result = poll(base, token, ids_file, conditional=kind == "304")
                    answered = max(result["ok"] + result["not_modified"], 1)
                    for n, p in pids.items():
                        result[f"cpu_{n}"] = 1000 * (cpu_seconds(p) - before[n]) / answered
                    phases.setdefault((kind, name), []).append(result)
    report(phases, count)


def report(phases: dict[tuple[str, str], list[dict[str, float]]], count: int) -> None:
    print(
        f"\nStatus reads: {count} families polling GET /v1/applications/{{id}} on SQLite, "
        f"wrk {CLIENTS} connections, 2 × {SECONDS:.0f} s per path and kind (medians)"
    )
    print(
        f"{'kind':<6}{'path':<9}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'200s':>9}{'304s':>9}{'other':>7}{'CPU enr. ms':>13}{'CPU gw ms':>11}"
        f"{'2 idle cores/s':>16}"
    )
    medians: dict[tuple[str, str], float] = {}
    for (kind, name), results in phases.items():
        medians[kind, name] = statistics.median(r["per_s"] for r in results)
        enrollment = statistics.median(r["cpu_enrollment"] for r in results)
        gateway = statistics.median(r["cpu_gateway"] for r in results) if name == "gateway" else 0
        print(
            f"{kind:<6}{name:<9}{medians[kind, name]:>8.0f}"
            f"{statistics.median(r['p50_ms'] for r in results):>9.1f}"
            f"{statistics.median(r['p99_ms'] for r in results):>9.1f}"
            f"{sum(int(r['ok']) for r in results):>9}"
            f"{sum(int(r['not_modified']) for r in results):>9}"
            f"{sum(int(r['other']) for r in results):>7}"
            f"{enrollment:>13.2f}{gateway:>11.2f}{2000 / max(enrollment + gateway, 1e-6):>16.0f}"
        )
    print(
        f"load average while measuring (1, 5, 15 min): {os.getloadavg()} on "
        f"{os.cpu_count()} cores — other work on the machine slows every figure but the CPU ms"
    )
    for kind in KINDS:
        ratio = medians[kind, "gateway"] / medians[kind, "direct"]
        print(f"ratio gateway ÷ direct ({kind}): {ratio:.2f}")
    through = medians["304", "gateway"]
    verdict = "met" if through >= 1000 else "NOT met"
    print(f"goal ≥ 1,000 status polls/s through the gateway (304s): {verdict} ({through:.0f}/s)")


if __name__ == "__main__":
    main()
