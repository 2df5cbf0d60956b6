"""`make run`: the whole system on this machine with the demo county loaded, until Ctrl-C —
nats-server, the eight partner-agency simulators, the four services and the gateway
(junheng_devtools.system.System), the demo's clients, then the banner of how to call it."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from junheng_devtools import demo_clients
from junheng_devtools.banner import banner
from junheng_devtools.demo import load_demo
from junheng_devtools.system import (
    DEFAULT_AGENCY_PORTS,
    DEFAULT_FACT_AGENCY_PORTS,
    DEMO_ASSISTANCE_CLOCK_AT,
    System,
    wait_while_running,
)
from junheng_kit.settings import GATEWAY_PORT, SERVICE_PORTS


def _busy_ports(ports: dict[str, int]) -> list[str]:
    busy = []
    for what, port in ports.items():
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                busy.append(f"{port} for {what}")
    return busy


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="junheng-run", description="start Junheng locally")
    parser.add_argument("--var", type=Path, default=Path("var"))
    parser.add_argument("--demo", type=Path, default=Path("demo/150602-dongsheng-schools.json"))
    args = parser.parse_args(argv)
    port = int(os.environ.get("JUNHENG_GATEWAY_PORT", str(GATEWAY_PORT)))
    from junheng_devtools.demo_roster import pupils, roster_csv, write_agency_candidates

    demo = json.loads(args.demo.read_text())
    roster = pupils(demo["county_code"], demo["schools"])
    var = args.var.resolve()
    var.mkdir(parents=True, exist_ok=True)
    (var / "demo-students.csv").write_bytes(roster_csv(roster))
    write_agency_candidates(roster, var / "demo-agency-candidates.csv")
    system = System(
        var=var,
        gateway_port=port,
        nats_port=int(os.environ.get("JUNHENG_NATS_PORT", "4222")),
        ports={
            name: int(os.environ.get(f"{name.upper()}_HTTP_PORT", default))
            for name, default in SERVICE_PORTS.items()
        },
        agency_ports={
            code: int(os.environ.get(f"JUNHENG_AGENCY_{code.upper()}_PORT", default))
            for code, default in (DEFAULT_AGENCY_PORTS | DEFAULT_FACT_AGENCY_PORTS).items()
        },
        agency_region=demo["county_code"],
        agency_registry=var / "demo-agency-candidates.csv",
        assistance_clock_at=os.environ.get("JUNHENG_CLOCK_AT", DEMO_ASSISTANCE_CLOCK_AT) or None,
    )
    stopping = False

    def _stop(*_: Any) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    busy = _busy_ports(
        {
            "gateway (JUNHENG_GATEWAY_PORT)": port,
            "nats-server (JUNHENG_NATS_PORT)": system.nats_port,
            **{f"{name} ({name.upper()}_HTTP_PORT)": p for name, p in system.ports.items()},
            **{
                f"{code} simulator (JUNHENG_AGENCY_{code.upper()}_PORT)": p
                for code, p in system.agency_ports.items()
            },
        }
    )
    if busy:
        sys.exit(
            "cannot start: port(s) in use — "
            + "; ".join(busy)
            + ". Is another `make run` still running? Stop it or choose other ports."
        )
    try:
        print(
            "starting nats-server, eight partner-agency simulators (four aid agencies, four "
            "enrollment sources), migrating and starting "
            "enrollment, staffing, assistance, evaluation and the gateway …",
            flush=True,
        )
        system.start()
        county = json.loads(args.demo.read_text())["county_code"]
        credentials = demo_clients.demo_client(system, args.var, county)
        demo_clients.demo_auditor(system, args.var, county)
        created, students, intake = load_demo(system, credentials, args.demo, var)
        total = len(json.loads(args.demo.read_text())["schools"])
        print(banner(system, credentials, created, total, students, intake), flush=True)
        wait_while_running(system, "var/logs/")
    except KeyboardInterrupt:
        print("\nstopping …", flush=True)
    finally:
        system.stop()


if __name__ == "__main__":
    run()
