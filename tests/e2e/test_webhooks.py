"""Issue 18 item 5 as an integrator does it, every call through the gateway to real processes
(NATS with identities and permissions): subscribe a webhook to `enrollment.admission.confirmed`,
the bureau submits its families' applications, runs 电脑派位 and confirms the admissions, and
the subscriber's own HTTP endpoint receives each confirmation signed (Standard Webhooks), once,
checked here with nothing but the secret and the standard's formula."""

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from junheng_devtools.demo import load_demo_county, load_demo_enrollment
from junheng_devtools.demo_enrollment import intake_year
from junheng_devtools.system import System

from junheng_kit.processes import free_port
from junheng_kit.timeutil import china_today

from .walkthrough_support import bureau_token

pytestmark = pytest.mark.e2e
DEMO = Path(__file__).resolve().parents[2] / "demo"
YEAR = intake_year(china_today())


class Subscriber:
    """An integrator's endpoint (uvicorn in a thread of this process): answers 204, keeps all."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.server = uvicorn.Server(
            uvicorn.Config(self, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.received.append(({k.decode(): v.decode() for k, v in scope["headers"]}, body))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def __enter__(self) -> "Subscriber":
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    running = System(
        var=tmp_path_factory.mktemp("webhooks"),
        gateway_port=free_port(),
        agencies=(),
        ready_timeout=180,
        extra_env={
            "GATEWAY_RATE_LIMIT_PER_SECOND": "1000",
            "GATEWAY_RATE_LIMIT_BURST": "2000",
            "GATEWAY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",  # the subscriber is local here
        },
    )
    running.start()
    yield running
    running.stop()


def verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return expected in headers["webhook-signature"].split()


def test_admissions_confirmed_reach_the_subscriber_signed(system: System) -> None:
    token = bureau_token(system)
    gateway = httpx.Client(
        base_url=system.gateway_url, timeout=60, headers={"Authorization": f"Bearer {token}"}
    )
    with Subscriber() as subscriber, gateway:
        created = gateway.post(
            "/v1/webhooks",
            json={
                "url": f"http://127.0.0.1:{subscriber.port}/junheng",
                "event_types": ["enrollment.admission.confirmed"],
                "description": "家长端录取通知",
            },
        )
        assert created.status_code == 201, created.text
        webhook = created.json()
        asyncapi = gateway.get("/asyncapi.json").json()
        assert "enrollment-admission-confirmed" in asyncapi["channels"]

        load_demo_county(system, token, DEMO / "150602-dongsheng-schools.json")
        loaded = load_demo_enrollment(system, token, DEMO / "150602-enrollment.json")
        assert loaded["applications"] == 60  # submitted and verified through the gateway
        run = gateway.post(
            "/enrollment/v1/assignment-runs",
            json={
                "county_code": "150602",
                "year": YEAR,
                "level": "primary",
                "seed": f"{YEAR}-webhooks",
                "mechanism": "deferred_acceptance",
                "tie_breaking": "single",
            },
        )
        assert run.status_code == 201, run.text
        confirmed = gateway.post(
            f"/enrollment/v1/assignment-runs/{run.json()['id']}/admissions", json={}
        )
        assert confirmed.status_code == 201, confirmed.text
        admitted = {a["application_id"] for a in confirmed.json()["admissions"]}
        assert admitted

        deadline = time.monotonic() + 60
        while len(subscriber.received) < len(admitted) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # a second copy would come now
        deliveries = gateway.get(f"/v1/webhooks/{webhook['id']}/deliveries?limit=500").json()

    events = [json.loads(body) for _, body in subscriber.received]
    assert sorted(e["data"]["application_id"] for e in events) == sorted(admitted)  # each once
    assert {e["type"] for e in events} == {"enrollment.admission.confirmed"}
    assert {e["jurisdiction"] for e in events} == {"150602"}
    assert all(verified(webhook["secret"], h, b) for h, b in subscriber.received)
    assert all(h["content-type"] == "application/cloudevents+json" for h, _ in subscriber.received)
    assert "citizen_id" not in json.dumps(events)  # pseudonymous keys only
    assert {d["status"] for d in deliveries["items"]} == {"delivered"}
    assert len(deliveries["items"]) == len(admitted)
