"""`make bench`: webhook delivery latency — an event published on NATS as a service publishes it
→ the gateway's fan-out → its delivery worker → the signed POST received by a subscriber.

Real parts: a nats-server (JetStream), the gateway as its own process (`python -m gateway
serve`, SQLite, `JUNHENG_ENV=dev`, loopback allowed for the receiver), a subscriber served by
uvicorn in this process, which verifies every signature. Each event's latency is the time from
this process publishing it to this process receiving its POST (one clock).

Baselines measured in the same run, on the same machine:
- `nats`: the raw JetStream hop — publish → a durable pull consumer in this process (the same
  fetch pattern the fan-out uses);
- `http`: a POST of the same body from this process straight to the receiver (httpx).

Phases: `--events` events one at a time (each waits for its receipt: the unloaded latency, p50 /
p99), then a burst of `--burst` events published at once (the time until all arrived). Figures,
not pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import nats
import uvicorn
from junheng_devtools.system import ServiceProcess
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from junheng_contracts.enrollment import AdmissionConfirmed, AdmissionConfirmedData
from junheng_kit.messaging.connection import ensure_streams
from junheng_kit.processes import NatsServer, free_port

SUBJECT = "enrollment.admission.confirmed"


def event() -> AdmissionConfirmed:
    application = str(uuid4())
    return AdmissionConfirmed.of(
        subject=application,
        jurisdiction="150602",
        data=AdmissionConfirmedData(
            application_id=application,
            county_code="150602",
            year=2026,
            school_code="2115060001",
            level="primary",
            grade=1,
            student_key="k-" + application[:8],
            route="assignment",
        ),
    )


class Receiver:
    """The subscriber: verifies each signature, notes when each event arrived."""

    def __init__(self) -> None:
        self.port = free_port()
        self.secret = ""
        self.arrived: dict[str, float] = {}
        self.waiters: dict[str, asyncio.Future[float]] = {}
        self.bad_signatures = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        now = time.perf_counter()
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        if "webhook-id" in headers and not self._verified(headers, body):
            self.bad_signatures += 1
        event_id = json.loads(body)["id"]
        self.arrived.setdefault(event_id, now)
        waiter = self.waiters.pop(event_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(now)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def _verified(self, headers: dict[str, str], body: bytes) -> bool:
        key = base64.b64decode(self.secret.removeprefix("whsec_"))
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        return f"v1,{expected}" in headers["webhook-signature"].split()

    def wait_for(self, event_id: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        if event_id in self.arrived:
            future.set_result(self.arrived[event_id])
        else:
            self.waiters[event_id] = future
        return future


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def start_gateway(var: Path, nats_url: str, port: int) -> ServiceProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUNHENG_", "GATEWAY_"))}
    env |= {
        "JUNHENG_ENV": "dev",
        "JUNHENG_NATS_URL": nats_url,
        "JUNHENG_GATEWAY_PORT": str(port),
        "JUNHENG_LOG_LEVEL": "WARNING",
        "GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{var / 'gateway.sqlite3'}",
        "GATEWAY_SIGNING_KEY_FILE": str(var / "gateway-signing-key.pem"),
        "GATEWAY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "GATEWAY_RATE_LIMIT_PER_SECOND": "100000",
        "GATEWAY_RATE_LIMIT_BURST": "100000",
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run([sys.executable, "-m", "gateway", "migrate"], env=env, check=True)
    process = ServiceProcess("gateway", port, env, var / "gateway.log")
    process.start()
    process.wait_ready(120)
    return process


async def subscribe(gateway_url: str, env: dict[str, str], receiver: Receiver) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "register-client", "--name", "bench",
         "--scopes", "enrollment:read", "--jurisdiction", "150602"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    credentials = json.loads(done.stdout)
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
        token = (
            await http.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": credentials["client_id"],
                    "client_secret": credentials["client_secret"],
                },
            )
        ).json()["access_token"]
        created = await http.post(
            "/v1/webhooks",
            json={"url": receiver.url, "event_types": [SUBJECT]},
            headers={"Authorization": f"Bearer {token}"},
        )
        created.raise_for_status()
        receiver.secret = created.json()["secret"]
        deadline = time.monotonic() + 60
        while (await http.get("/readyz")).json()["checks"].get("webhooks") != "ok":
            if time.monotonic() > deadline:
                raise RuntimeError("the gateway's fan-out did not bind its durables")
            await asyncio.sleep(0.1)


async def nats_baseline(js: Any, count: int) -> list[float]:
    """Publish → a durable pull consumer of this process: the JetStream hop alone."""
    await js.add_consumer(
        "ENROLLMENT",
        ConsumerConfig(
            durable_name="bench-baseline",
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.NEW,
            filter_subject="enrollment.>",
        ),
    )
    subscription = await js.pull_subscribe_bind("bench-baseline", stream="ENROLLMENT")
    latencies = []
    for _ in range(count):
        payload = event().model_dump_json().encode()
        started = time.perf_counter()
        await js.publish(SUBJECT, payload)
        [message] = await subscription.fetch(1, timeout=5)
        latencies.append((time.perf_counter() - started) * 1000)
        await message.ack()
    await subscription.unsubscribe()
    await js.delete_consumer("ENROLLMENT", "bench-baseline")
    return latencies


async def http_baseline(receiver: Receiver, count: int) -> list[float]:
    latencies = []
    async with httpx.AsyncClient(timeout=5) as http:
        for _ in range(count):
            payload = event().model_dump_json().encode()
            started = time.perf_counter()
            await http.post(receiver.url, content=payload)
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def webhook_latencies(js: Any, receiver: Receiver, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        published = event()
        arrival = receiver.wait_for(published.id)
        started = time.perf_counter()
        await js.publish(
            SUBJECT, published.model_dump_json().encode(), headers={"Nats-Msg-Id": published.id}
        )
        latencies.append((await asyncio.wait_for(arrival, 30) - started) * 1000)
    return latencies


async def burst(js: Any, receiver: Receiver, count: int) -> tuple[float, list[float]]:
    events = [event() for _ in range(count)]
    arrivals = [receiver.wait_for(e.id) for e in events]
    started = time.perf_counter()
    sent = {}
    for published in events:
        sent[published.id] = time.perf_counter()
        await js.publish(
            SUBJECT, published.model_dump_json().encode(), headers={"Nats-Msg-Id": published.id}
        )
    received = await asyncio.wait_for(asyncio.gather(*arrivals), 300)
    elapsed = max(received) - started
    return elapsed, [(at - sent[e.id]) * 1000 for e, at in zip(events, received, strict=True)]


async def run(events: int, burst_size: int) -> None:
    var = Path(tempfile.mkdtemp(prefix="junheng-bench-webhooks-"))
    server = NatsServer(var / "nats").start()
    receiver = Receiver()
    config = uvicorn.Config(receiver, host="127.0.0.1", port=receiver.port, log_level="warning",
                            lifespan="off", access_log=False)  # fmt: skip
    web = uvicorn.Server(config)
    serving = asyncio.create_task(web.serve())
    nc = await nats.connect(server.url)
    js = nc.jetstream()
    await ensure_streams(js)  # the producers' streams, as the services create them
    port = free_port()
    gateway = await asyncio.to_thread(start_gateway, var, server.url, port)
    try:
        await subscribe(f"http://127.0.0.1:{port}", gateway.env, receiver)
        warm = max(5, events // 10)
        await webhook_latencies(js, receiver, warm)
        await nats_baseline(js, warm)
        await http_baseline(receiver, warm)
        figures = {
            "nats": await nats_baseline(js, events),
            "http": await http_baseline(receiver, events),
            "webhook": await webhook_latencies(js, receiver, events),
        }
        burst_s, burst_latencies = await burst(js, receiver, burst_size)
    finally:
        await nc.close()
        await asyncio.to_thread(gateway.stop)
        web.should_exit = True
        await serving
        server.stop()
    report(figures, events, burst_size, burst_s, burst_latencies, receiver.bad_signatures)


def report(
    figures: dict[str, list[float]],
    events: int,
    burst_size: int,
    burst_s: float,
    burst_latencies: list[float],
    bad_signatures: int,
) -> None:
    print(
        f"\nWebhook delivery — {events} events one at a time, 1 gateway process (SQLite), "
        "milliseconds"
    )
    print(f"{'path':<44}{'median':>9}{'p50':>9}{'p99':>9}{'max':>9}")
    labels = {
        "nats": "baseline: NATS publish → pull consumer",
        "http": "baseline: HTTP POST → receiver",
        "webhook": "webhook: publish → signed POST received",
    }
    for key, label in labels.items():
        values = figures[key]
        print(
            f"{label:<44}{statistics.median(values):>9.2f}{percentile(values, 0.5):>9.2f}"
            f"{percentile(values, 0.99):>9.2f}{max(values):>9.2f}"
        )
    added = statistics.median(figures["webhook"]) - statistics.median(figures["nats"])
    print(
        f"webhook ÷ (nats + http) medians: "
        f"{statistics.median(figures['webhook']) / (statistics.median(figures['nats']) + statistics.median(figures['http'])):.1f}; "  # noqa: E501
        f"added over the NATS hop: {added:+.2f} ms"
    )
    print(
        f"burst: {burst_size} events published at once, all received in {burst_s:.2f} s "
        f"({burst_size / burst_s:.0f} events/s); latency p50 {percentile(burst_latencies, 0.5):.1f}"
        f" ms, p99 {percentile(burst_latencies, 0.99):.1f} ms; bad signatures: {bad_signatures}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--burst", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(run(args.events, args.burst))


if __name__ == "__main__":
    main()
