"""Partner-agency simulators (`python -m agency_sim`, simulators/) as real processes on free
ports, for the services' tests: started from a registry CSV, with fault injection, and the
agencies file the service reads."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from junheng_kit.signing import ensure_private_key


@dataclass
class Simulator:
    agency: str
    url: str
    process: subprocess.Popen[bytes]

    def faults(self, mode: str, **values: int) -> None:
        httpx.put(f"{self.url}/_sim/faults", json={"mode": mode, **values}).raise_for_status()

    def requests(self) -> int:
        return int(httpx.get(f"{self.url}/healthz").json()["requests"])


@contextmanager
def healthy(simulators: Iterable[Simulator]) -> Iterator[None]:
    """Every simulator answering normally before and after the block (a test that broke one
    leaves no fault behind for the next)."""
    sims = list(simulators)
    for sim in sims:
        sim.faults("ok")
    yield
    for sim in sims:
        sim.faults("ok")


@contextmanager
def running_simulators(
    agencies: Iterable[str],
    *,
    keys: Path,
    workdir: Path,
    registry: Path,
    today: str,
    extra: Iterable[str] = (),
) -> Iterator[dict[str, Simulator]]:
    """One simulator process per agency (its key `<keys>/<agency>.pem`, trusting
    `<keys>/bureau.pem`), each answering on `/healthz` before this yields; stopped after."""
    started = {}
    for agency in agencies:
        port_file = workdir / f"{agency}.port"
        log = (workdir / f"{agency}.log").open("wb")
        command = [
            *(sys.executable, "-m", "agency_sim", "--agency", agency, "--port", "0"),
            *("--port-file", str(port_file), "--region", "150602"),
            *("--key-file", str(keys / f"{agency}.pem")),
            *("--trust-key-file", str(keys / "bureau.pem")),
            *("--registry", str(registry), "--size", "50", "--today", today, *extra),
        ]
        started[agency] = (
            subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT),
            port_file,
        )
    sims = {}
    deadline = time.monotonic() + 30
    try:
        for agency, (process, port_file) in started.items():
            while not port_file.exists() or not port_file.read_text():
                assert process.poll() is None, f"{agency} simulator exited"
                assert time.monotonic() < deadline, f"{agency} simulator did not start"
                time.sleep(0.05)
            url = f"http://127.0.0.1:{port_file.read_text()}"
            while True:
                try:
                    httpx.get(f"{url}/healthz", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline, f"{agency} simulator not answering"
                    time.sleep(0.05)
            sims[agency] = Simulator(agency, url, process)
        yield sims
    finally:
        for process, _ in started.values():
            process.terminate()
            process.wait(timeout=10)


def agencies_file(
    path: Path, keys: Path, simulators: dict[str, Simulator], **per_agency: dict[str, Any]
) -> Path:
    """The JSON agencies file a service reads: each simulator's URL and pinned public key
    (`per_agency[code]`: more fields, e.g. assistance's categories)."""
    configs = [
        {
            "code": code,
            "name": code,
            "base_url": sim.url,
            "public_key": ensure_private_key(keys / f"{code}.pem").public_key_text,
            "timeout_seconds": 1.0,
            **per_agency.get(code, {}),
        }
        for code, sim in simulators.items()
    ]
    path.write_text(json.dumps(configs), encoding="utf-8")
    return path
