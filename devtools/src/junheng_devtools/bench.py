"""What the single-node benchmarks share: the whole system with the demo county's schools and
intake loaded, as `make run` loads them, and a bench client holding every scope."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from junheng_devtools.demo import load_demo_county, load_demo_enrollment
from junheng_devtools.system import ALL_SCOPES, System
from junheng_kit.processes import free_port

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "demo"
# rate limits out of the way: a benchmark measures the services, not the limiter's refusals
UNLIMITED = {"GATEWAY_RATE_LIMIT_PER_SECOND": "100000", "GATEWAY_RATE_LIMIT_BURST": "100000"}


@contextmanager
def demo_enrollment_system(var: Path) -> Iterator[tuple[System, str]]:
    """The system on SQLite under `var` (no partner agencies) with the demo county (150602)
    and its intake loaded; yields it and a bench token; stopped on leaving."""
    system = System(
        var=var, gateway_port=free_port(), agencies=(), ready_timeout=300, extra_env=UNLIMITED
    )
    system.start()
    try:
        credentials = system.register_client(
            name="bench", scopes=ALL_SCOPES, jurisdiction=["150602"]
        )
        token = system.token(credentials)
        load_demo_county(system, token, DEMO / "150602-dongsheng-schools.json")
        load_demo_enrollment(system, token, DEMO / "150602-enrollment.json")
        yield system, token
    finally:
        system.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc; 0 once it is gone): what a benchmark
    on a shared machine can compare, where wall time also waits for other work."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
