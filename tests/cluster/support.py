"""What the cluster tests share: the production topology (junheng_devtools.cluster) for a
module, and a round-robin front that spreads a client's requests over both gateways, request
by request, as a load balancer in front of the gateway replicas does."""

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from junheng_devtools.cluster import Cluster
from junheng_devtools.demo_roster import pupils, roster_csv, write_agency_candidates
from junheng_devtools.system import DEMO_ASSISTANCE_CLOCK_AT

from junheng_kit.processes import free_port

DEMO = Path(__file__).resolve().parents[2] / "demo/150602-dongsheng-schools.json"
# walkthroughs and chaos runs send more than a client may in production
GENEROUS_LIMITS = {
    "GATEWAY_RATE_LIMIT_PER_SECOND": "2000",
    "GATEWAY_RATE_LIMIT_BURST": "4000",
    "GATEWAY_TOKEN_ATTEMPTS_PER_ADDRESS_PER_MINUTE": "10000",
}


def wait_until(check: Any, timeout: float = 90.0) -> Any:
    """Poll `check` until it returns a truthy value; fail with the last one."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"not reached within {timeout}s; last {last!r}")


class RoundRobin:
    """An ASGI app forwarding each request to the next gateway (HTTP, not TCP: a client's
    keep-alive connection still reaches both)."""

    def __init__(self, upstreams: list[str]) -> None:
        self.next = itertools.cycle(upstreams)
        self.client: httpx.AsyncClient | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                if message["type"] == "lifespan.startup":
                    self.client = httpx.AsyncClient(timeout=120)
                    await send({"type": "lifespan.startup.complete"})
            if self.client is not None:
                await self.client.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        assert self.client is not None
        url = f"{next(self.next)}{scope['path']}"
        query = scope.get("query_string", b"")
        if query:
            url += "?" + query.decode("latin-1")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"host"]
        upstream = await self.client.request(scope["method"], url, headers=headers, content=body)
        drop = {b"content-length", b"transfer-encoding", b"connection", b"content-encoding"}
        out = [(k, v) for k, v in upstream.headers.raw if k.lower() not in drop]
        content = upstream.content  # decoded: the front hands it on as identity
        out.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": upstream.status_code, "headers": out})
        await send({"type": "http.response.body", "body": content})


class Front:
    """The round-robin front on a port of its own, in a thread of the test process."""

    def __init__(self, upstreams: list[str]) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            RoundRobin(upstreams), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Front":
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the round-robin front did not start")
            threading.Event().wait(0.05)
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def running_cluster(
    tmp_path_factory: pytest.TempPathFactory, name: str, *, agencies: bool = False
) -> Iterator[Cluster]:
    """The production topology for one module, its `gateway_url` the round-robin front over
    both gateways (`gateway_urls` reach each directly)."""
    var = tmp_path_factory.mktemp(name)
    options: dict[str, Any] = {}
    if agencies:
        demo = json.loads(DEMO.read_text())
        roster = pupils(demo["county_code"], demo["schools"])
        (var / "demo-students.csv").write_bytes(roster_csv(roster))
        write_agency_candidates(roster, var / "demo-agency-candidates.csv")
        options = {
            "agency_region": demo["county_code"],
            "agency_registry": var / "demo-agency-candidates.csv",
            # the walkthrough's 公示 and payments follow the demo's aid calendar, as in make run
            "assistance_clock_at": DEMO_ASSISTANCE_CLOCK_AT,
        }
    cluster = Cluster(
        var=var,
        gateway_port=free_port(),
        agencies=("mca", "cdpf", "nrra", "moa") if agencies else (),
        ready_timeout=300,  # fifteen processes import at once on two cores
        extra_env=GENEROUS_LIMITS,
        **options,
    )
    cluster.start()
    try:
        with Front(cluster.gateway_urls) as front:
            cluster.front_url = front.url
            yield cluster
    finally:
        cluster.stop()
