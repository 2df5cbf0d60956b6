"""The gateway while NATS is down (issue 8 §2): it answers 503 problem+json at once instead of
buffering the request and waiting for the upstream timeout."""

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from junheng_kit.processes import NatsServer

from .conftest import SettingsFactory, running


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
