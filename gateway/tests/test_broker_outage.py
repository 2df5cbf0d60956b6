"""The gateway while NATS is down (issue 8 §2): a new request is 503 problem+json at once, one in
flight 504 at once, instead of either waiting for the whole upstream timeout."""

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import pytest

from junheng_kit.bridge import BridgeServer
from junheng_kit.messaging.connection import connect
from junheng_kit.processes import NatsServer
from junheng_kit.testing.plugin import auth, eventually

from .conftest import Register, SettingsFactory, running, upstream_app

SECRET = "s3cret-value"


@pytest.fixture
def private_nats(tmp_path: Path) -> Any:
    """A nats-server of this test's own: stopping it disturbs no other test."""
    server = NatsServer(tmp_path / "nats").start()
    yield server
    server.stop()


async def test_a_request_during_a_nats_outage_is_503_within_a_second(
    private_nats: NatsServer, make_settings: SettingsFactory
) -> None:
    settings = make_settings(nats_url=private_nats.url, upstream_timeout_seconds=10)
    async with running(settings) as (app, http):
        token = app.state.signer.issue(
            subject="c", scopes=["enrollment:write"], jurisdiction=["150602"]
        )
        private_nats.stop()
        deadline = time.monotonic() + 10
        while app.state.nats.is_connected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # the client notices the closed socket
        assert not app.state.nats.is_connected
        started = time.monotonic()
        response = await http.post(
            "/enrollment/v1/echo", content=b"{}", headers={"Authorization": f"Bearer {token}"}
        )
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    assert "NATS" in response.json()["detail"]
    assert elapsed < 1.0


async def test_a_request_in_flight_when_nats_drops_is_504_at_once(
    private_nats: NatsServer, make_settings: SettingsFactory
) -> None:
    """Not after the whole upstream timeout: the reply cannot come once the connection is gone
    (the service may have run the request, so 504, not 503)."""
    nc = await connect(private_nats.url, "test-upstream")
    server = BridgeServer(upstream_app("enrollment"), nc, nc.jetstream(), "enrollment")
    await server.start()
    settings = make_settings(nats_url=private_nats.url, upstream_timeout_seconds=20)
    try:
        async with running(settings) as (app, http):
            token = app.state.signer.issue(
                subject="c", scopes=["enrollment:read"], jurisdiction=["150602"]
            )
            request = asyncio.create_task(
                http.get(
                    "/enrollment/v1/slow?seconds=10", headers={"Authorization": f"Bearer {token}"}
                )
            )
            await asyncio.sleep(1.0)  # the service is working on it
            started = time.monotonic()
            private_nats.stop()
            response = await request
            elapsed = time.monotonic() - started
    finally:
        await server.stop()
        with contextlib.suppress(OSError):
            await nc.close()
    assert response.status_code == 504
    assert response.headers["content-type"] == "application/problem+json"
    assert "请求可能已执行" in response.json()["detail"]  # the request may have run
    assert elapsed < 3.0


async def test_limits_hold_on_the_replicas_own_view_while_nats_is_down(
    private_nats: NatsServer,
    make_settings: SettingsFactory,
    register: Register,
    sqlite_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The shared bucket is out of reach: the replica limits alone (logged) and never fails or
    delays a request because of it; the token endpoint, which needs no NATS, stays throttled."""
    client_id = await register(sqlite_url, scopes=["enrollment:read"], secret=SECRET)
    settings = make_settings(
        nats_url=private_nats.url,
        rate_limit_per_second=0.01,
        rate_limit_burst=2,
        rate_limit_sync_seconds=0.05,
        token_attempts_per_address_per_minute=2,
    )
    async with running(settings) as (app, http):
        token = app.state.signer.issue(
            subject="c", scopes=["enrollment:read"], jurisdiction=["150602"]
        )
        assert app.state.rate_limiter.is_shared
        private_nats.stop()

        async def on_its_own() -> bool:
            return not app.state.rate_limiter.is_shared

        await eventually(on_its_own)
        started = time.monotonic()
        api = [await http.get("/enrollment/v1/items/1", headers=auth(token)) for _ in range(3)]
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": SECRET}
        tokens = [await http.post("/oauth/token", data=form) for _ in range(3)]
        answered_in = time.monotonic() - started
    # admitted by the limiter, then no NATS to forward them: 503; the third is over the limit
    assert [r.status_code for r in api] == [503, 503, 429]
    assert [r.headers["ratelimit"].split(";")[1] for r in api] == ["r=1", "r=0", "r=0"]
    assert api[2].headers["content-type"] == "application/problem+json"
    assert api[2].headers["retry-after"] == "100"
    assert [r.status_code for r in tokens] == [200, 200, 429]
    assert tokens[2].json()["errors"][0]["rule"] == "token_attempts_per_address"
    assert answered_in < 5.0  # two argon2 hashes; nothing waited for NATS
    assert any(r.getMessage() == "gateway.rate_limits_local" for r in caplog.records)
