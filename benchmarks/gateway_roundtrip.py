"""`make bench`: a request through the gateway (HTTP → gateway → NATS → service) against the same
request sent straight to the service's own HTTP port, measured in one run on this machine.

Load: wrk, 64 connections, GET one school from enrollment (token checked, one indexed read).
Runs interleave direct / gateway three times; the table prints medians of req/s, p50 and p99 and
the ratio gateway ÷ direct. Figures, not pass/fail: the goal is a ratio ≥ 0.50 at 64 connections.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from junheng_devtools.demo import load_demo_county
from junheng_devtools.system import ALL_SCOPES, System

from junheng_kit.processes import free_port

ROOT = Path(__file__).resolve().parents[1]
CONNECTIONS, THREADS, DURATION_S, ROUNDS = 64, 2, 8, 3
SCHOOL = "2115060001"


def wrk(url: str, token: str, connections: int = CONNECTIONS) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            f"-t{min(THREADS, connections)}",
            f"-c{connections}",
            f"-d{DURATION_S}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": rps,
        "p50_ms": _latency(out, "50%"),
        "p99_ms": _latency(out, "99%"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def _latency(out: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)\b", out).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk (make bench installs it)")
    system = System(
        var=Path(tempfile.mkdtemp(prefix="junheng-bench-")),
        gateway_port=free_port(),
        extra_env={
            "GATEWAY_RATE_LIMIT_PER_SECOND": "1000000",
            "GATEWAY_RATE_LIMIT_BURST": "1000000",
            "JUNHENG_LOG_LEVEL": "WARNING",
        },
    )
    system.start()
    try:
        credentials = system.register_client(
            name="bench", scopes=ALL_SCOPES, jurisdiction=["150602"]
        )
        token = system.token(credentials)
        load_demo_county(system, token, ROOT / "demo" / "150602-dongsheng-schools.json")
        direct_url = f"{system.service_url('enrollment')}/v1/schools/{SCHOOL}"
        gateway_url = f"{system.gateway_url}/enrollment/v1/schools/{SCHOOL}"
        wrk(direct_url, token)  # warm-up both paths (JIT-free, but caches and pools fill)
        wrk(gateway_url, token)
        runs: dict[str, list[dict[str, float]]] = {"direct": [], "gateway": []}
        for _ in range(ROUNDS):
            runs["direct"].append(wrk(direct_url, token))
            runs["gateway"].append(wrk(gateway_url, token))
        single = {
            "direct": wrk(direct_url, token, connections=1),
            "gateway": wrk(gateway_url, token, connections=1),
        }
    finally:
        system.stop()
    report(runs, single)


def report(runs: dict[str, list[dict[str, float]]], single: dict[str, dict[str, float]]) -> None:
    medians = {
        path: {key: statistics.median(r[key] for r in results) for key in results[0]}
        for path, results in runs.items()
    }
    print(
        f"\nGET /v1/schools/{{code}} on enrollment — wrk {CONNECTIONS} connections, "
        f"{DURATION_S}s × {ROUNDS} interleaved rounds, medians"
    )
    print(
        f"{'path':<10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}"
        f"{'p50 ms @1 conn':>17}"
    )
    for path in ("direct", "gateway"):
        m = medians[path]
        print(
            f"{path:<10}{m['rps']:>10.0f}{m['p50_ms']:>10.2f}{m['p99_ms']:>10.2f}"
            f"{m['non_2xx']:>10.0f}{single[path]['p50_ms']:>17.2f}"
        )
    ratio = medians["gateway"]["rps"] / medians["direct"]["rps"]
    added = single["gateway"]["p50_ms"] - single["direct"]["p50_ms"]
    print(
        f"ratio gateway ÷ direct throughput: {ratio:.2f} (goal ≥ 0.50); "
        f"added p50 at 1 connection: {added:+.2f} ms"
    )
    print(
        "rounds req/s: " + json.dumps({p: [round(r["rps"]) for r in rs] for p, rs in runs.items()})
    )


if __name__ == "__main__":
    main()
