"""`make bench`: one agency lookup through the connector to a simulator process (goal p50 ≤ 20 ms).

Starts a real `agency_sim` process (民政) on a free port, then times ~200 calls of
`AgencyConnector.request_assertion` (sign the body, POST, verify the agency's signature and the
binding to the request) against ~200 raw httpx POSTs of the same signed body to the same
simulator (the baseline: HTTP and the simulator alone). Prints medians, p95 and the ratio.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from assistance.agencies.config import AgencyConfig
from assistance.agencies.connector import AgencyConnector
from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.ids import uuid7
from junheng_kit.signing import KEY_ID_HEADER, SIGNATURE_HEADER, canonical_json, ensure_private_key

CALLS, WARMUP = 200, 20
CITIZEN_ID = "15060220150301001" + citizen_id_check_character("15060220150301001")


def start_simulator(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    registry = workdir / "registry.csv"
    registry.write_text(
        f"citizen_id,name,category,grade,valid_from,valid_until\n"
        f"{CITIZEN_ID},王小明,dibao,,2025-01-01,2030-12-31\n",
        encoding="utf-8",
    )
    port_file = workdir / "mca.port"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "agency_sim", "--agency", "mca", "--port", "0",
            "--port-file", str(port_file), "--key-file", str(workdir / "mca.pem"),
            "--trust-key-file", str(workdir / "bureau.pem"), "--registry", str(registry),
            "--size", "5000",
        ],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not (port_file.exists() and port_file.read_text()):
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("simulator did not start")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port_file.read_text()}"
    while True:
        try:
            httpx.get(f"{url}/healthz", timeout=1).raise_for_status()
            return process, url
        except httpx.HTTPError:
            time.sleep(0.05)


def summary(label: str, samples: list[float]) -> float:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(f"{label:<42} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   (n={len(ordered)})")
    return p50


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        bureau = ensure_private_key(workdir / "bureau.pem")
        agency_key = ensure_private_key(workdir / "mca.pem")
        process, url = start_simulator(workdir)
        try:
            config = AgencyConfig(
                code="mca",
                name="民政",
                base_url=url,
                public_key=agency_key.public_key_text,
                categories=["dibao", "tekun"],
                timeout_seconds=2.0,
            )
            connector = AgencyConnector([config], bureau)

            def request() -> dict[str, object]:
                return connector.new_request(
                    request_id=str(uuid7()),
                    citizen_id=CITIZEN_ID,
                    name="王小明",
                    purpose="认定",
                    legal_basis="教财〔2018〕16号",
                    consent_ref=None,
                )

            async def through_connector() -> float:
                started = time.perf_counter()
                reply = await connector.request_assertion("mca", request(), citizen_id=CITIZEN_ID)
                elapsed = (time.perf_counter() - started) * 1000
                assert reply.status == "verified", reply.detail
                return elapsed

            async with httpx.AsyncClient() as raw_client:

                async def raw_post() -> float:
                    body = canonical_json(request())
                    headers = {KEY_ID_HEADER: bureau.key_id, SIGNATURE_HEADER: bureau.sign(body)}
                    started = time.perf_counter()
                    response = await raw_client.post(
                        f"{url}/v1/assertions", content=body, headers=headers
                    )
                    elapsed = (time.perf_counter() - started) * 1000
                    assert response.status_code == 200
                    return elapsed

                for _ in range(WARMUP):
                    await through_connector()
                    await raw_post()
                connector_ms, raw_ms = [], []
                for _ in range(CALLS):  # interleaved so both see the same machine load
                    connector_ms.append(await through_connector())
                    raw_ms.append(await raw_post())
            await connector.aclose()
            print(f"one lookup to a simulator process, {CALLS} calls each, interleaved")
            ours = summary("connector (sign, POST, verify, bind)", connector_ms)
            base = summary("baseline: raw httpx POST (pre-signed)", raw_ms)
            print(f"ratio connector / raw p50: {ours / base:.2f}   goal p50 ≤ 20 ms: "
                  f"{'met' if ours <= 20 else 'NOT met'}")  # fmt: skip
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    asyncio.run(main())
