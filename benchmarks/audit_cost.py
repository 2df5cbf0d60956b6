"""`make bench`: what the audit trail (issue 20 item 1, junheng_kit.audit) costs — application
submissions and status reads through the gateway, with the audit on and off, in one run.

Two systems run side by side (junheng_devtools.system.System, processes on SQLite, the demo
county loaded): one as deployed, one with `JUNHENG_AUDIT=off` (accepted only under
JUNHENG_ENV=dev, which the local system runs: it exists for this baseline). Phases alternate
between them (on, off, on, off) so that the other load on a shared machine falls on both alike:

- submissions: wrk (benchmarks/submissions.lua, 64 connections) POSTs distinct valid
  applications to /enrollment/v1/applications — each one an audit entry (`create`, the child's
  key) written by group commit beside the application's own;
- status reads: wrk (benchmarks/status_polls.lua, 64 connections) GETs
  /enrollment/v1/applications/{id} of a random demo family, the full answer (200) — each one an
  audit entry (`read`).

Printed: the medians per second and the loss with the audit on, in %. Goal: ≤ 10 % on both.
Environment: JUNHENG_BENCH_AUDIT_SECONDS (per phase, default 10).
"""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

from enrollment_gateway import bodies, submit_for
from junheng_devtools.demo import load_demo_county, load_demo_enrollment
from junheng_devtools.system import ALL_SCOPES, System
from status_reads import families, poll

from junheng_kit.processes import free_port

ROOT = Path(__file__).resolve().parents[1]
SECONDS = float(os.environ.get("JUNHENG_BENCH_AUDIT_SECONDS", "10"))
MODES = ("on", "off")
ROUNDS = 2


def started(var: Path, audit: str) -> System:
    system = System(
        var=var,
        gateway_port=free_port(),
        agencies=(),
        ready_timeout=300,
        extra_env={
            "GATEWAY_RATE_LIMIT_PER_SECOND": "100000",
            "GATEWAY_RATE_LIMIT_BURST": "100000",
            "JUNHENG_AUDIT": audit,
        },
    )
    system.start()
    return system


def main() -> None:
    with tempfile.TemporaryDirectory() as root:
        systems: dict[str, System] = {}
        try:
            tokens, ids, gateways = {}, {}, {}
            for mode in MODES:
                var = Path(root) / mode
                var.mkdir()
                systems[mode] = system = started(var, mode)
                credentials = system.register_client(
                    name="bench", scopes=ALL_SCOPES, jurisdiction=["150602"]
                )
                tokens[mode] = token = system.token(credentials)
                load_demo_county(system, token, ROOT / "demo/150602-dongsheng-schools.json")
                load_demo_enrollment(system, token, ROOT / "demo/150602-enrollment.json")
                gateways[mode] = f"{system.gateway_url}/enrollment"
                ids[mode], _ = families(gateways[mode], token, var)
            source = bodies(0)
            figures: dict[tuple[str, str], list[float]] = {}
            for _ in range(ROUNDS):
                for mode in MODES:
                    var = Path(root) / mode
                    submitted = submit_for(gateways[mode], tokens[mode], source, SECONDS, var)
                    figures.setdefault(("submissions", mode), []).append(submitted["per_s"])
                for mode in MODES:
                    read = poll(gateways[mode], tokens[mode], ids[mode], conditional=False)
                    figures.setdefault(("status reads", mode), []).append(read["per_s"])
        finally:
            for system in systems.values():
                system.stop()
    report(figures)


def report(figures: dict[tuple[str, str], list[float]]) -> None:
    print(
        f"\nAudit trail cost through the gateway (SQLite, wrk 64 connections, {ROUNDS} × "
        f"{SECONDS:.0f} s per kind and mode, alternating; medians per second)"
    )
    print(f"{'kind':<14}{'audit on':>10}{'audit off':>11}{'loss %':>9}")
    worst = 0.0
    for kind in ("submissions", "status reads"):
        on = statistics.median(figures[kind, "on"])
        off = statistics.median(figures[kind, "off"])
        loss = 100 * (off - on) / off if off else 0.0
        worst = max(worst, loss)
        print(f"{kind:<14}{on:>10.0f}{off:>11.0f}{loss:>9.1f}")
    print(
        f"load average while measuring (1, 5, 15 min): {os.getloadavg()} on "
        f"{os.cpu_count()} cores — other work on the machine moves every figure"
    )
    verdict = "met" if worst <= 10 else "NOT met"
    print(f"goal ≤ 10 % loss with the audit on: {verdict} (worst {worst:.1f} %)")


if __name__ == "__main__":
    main()
