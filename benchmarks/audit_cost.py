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

Printed: the medians per second and the loss with the audit on, in %; and the CPU each request
cost the enrollment service and the gateway (ms, from /proc), with the loss it implies where the
CPU is the limit (1 − CPU off ÷ CPU on). On a shared machine the CPU figures are the ones to
read: other work slows both systems' throughput unevenly, it does not change their CPU per
request. Goal: ≤ 10 % on both. Environment: JUNHENG_BENCH_AUDIT_SECONDS (per phase, default 10).
"""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

from enrollment_gateway import bodies, submit_for
from junheng_devtools.bench import cpu_seconds
from junheng_devtools.demo import load_demo_county, load_demo_enrollment
from junheng_devtools.system import ALL_SCOPES, System
from status_reads import families, poll

from junheng_kit.processes import free_port

ROOT = Path(__file__).resolve().parents[1]
SECONDS = float(os.environ.get("JUNHENG_BENCH_AUDIT_SECONDS", "10"))
MODES = ("on", "off")
ROUNDS = 2
MEASURED = ("enrollment", "gateway")  # the processes whose CPU per request is reported


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
            cpu: dict[tuple[str, str], list[float]] = {}
            for _ in range(ROUNDS):
                for kind in ("submissions", "status reads"):
                    for mode in MODES:
                        var = Path(root) / mode
                        pids = measured_pids(systems[mode])
                        before = sum(cpu_seconds(pid) for pid in pids)
                        if kind == "submissions":
                            done = submit_for(gateways[mode], tokens[mode], source, SECONDS, var)
                            count = done["accepted"]
                        else:
                            done = poll(gateways[mode], tokens[mode], ids[mode], conditional=False)
                            count = done["ok"]
                        used = sum(cpu_seconds(pid) for pid in pids) - before
                        figures.setdefault((kind, mode), []).append(done["per_s"])
                        cpu.setdefault((kind, mode), []).append(1000 * used / max(count, 1))
        finally:
            for system in systems.values():
                system.stop()
    report(figures, cpu)


def measured_pids(system: System) -> list[int]:
    processes = [system.processes[name].process for name in MEASURED]
    return [process.pid for process in processes if process is not None]


def report(
    figures: dict[tuple[str, str], list[float]], cpu: dict[tuple[str, str], list[float]]
) -> None:
    print(
        f"\nAudit trail cost through the gateway (SQLite, wrk 64 connections, {ROUNDS} × "
        f"{SECONDS:.0f} s per kind and mode, alternating; medians per second)"
    )
    print(
        f"{'kind':<14}{'audit on':>10}{'audit off':>11}{'loss %':>9}"
        f"{'CPU ms on':>12}{'CPU ms off':>12}{'CPU loss %':>12}"
    )
    worst = worst_cpu = 0.0
    for kind in ("submissions", "status reads"):
        on = statistics.median(figures[kind, "on"])
        off = statistics.median(figures[kind, "off"])
        loss = 100 * (off - on) / off if off else 0.0
        cpu_on = statistics.median(cpu[kind, "on"])
        cpu_off = statistics.median(cpu[kind, "off"])
        cpu_loss = 100 * (1 - cpu_off / cpu_on) if cpu_on else 0.0
        worst, worst_cpu = max(worst, loss), max(worst_cpu, cpu_loss)
        print(
            f"{kind:<14}{on:>10.0f}{off:>11.0f}{loss:>9.1f}"
            f"{cpu_on:>12.2f}{cpu_off:>12.2f}{cpu_loss:>12.1f}"
        )
    print("CPU ms: enrollment + gateway per request (wrk and the machine's other work not counted)")
    print(
        f"load average while measuring (1, 5, 15 min): {os.getloadavg()} on "
        f"{os.cpu_count()} cores — other work on the machine moves every figure"
    )
    verdict = "met" if worst <= 10 else "NOT met"
    cpu_verdict = "met" if worst_cpu <= 10 else "NOT met"
    print(
        f"goal ≤ 10 % loss with the audit on: throughput {verdict} (worst {worst:.1f} %), "
        f"CPU per request {cpu_verdict} (worst {worst_cpu:.1f} %)"
    )


if __name__ == "__main__":
    main()
