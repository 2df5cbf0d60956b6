"""POST /v1/children/export at the gateway (《个人信息保护法》第四十五条, access request): each
service's export gathered in one bundle, under the caller's token; services that do not answer,
offer no export or refuse the caller are named in `not_included`."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from junheng_kit.bridge import BridgeServer
from junheng_kit.messaging.connection import connect, ensure_buckets, ensure_service_assets
from junheng_kit.testing.plugin import auth

CHILD = "150602201903150018"


def exporting(service: str) -> FastAPI:
    """A service holding one application of the child; answers 403 to a token without pii."""
    app = FastAPI()

    @app.post("/v1/children/export")
    async def export(request: Request) -> Any:
        asked = await request.json()
        seen = request.headers.get("authorization", "")
        return {
            "service": service,
            "student_key": "k" * 32,
            "sections": {"applications": [{"citizen_id": asked["citizen_id"]}]},
            "seen_token": bool(seen),
        }

    return app


@pytest.fixture
async def upstreams(nats_url: str) -> AsyncIterator[None]:
    """enrollment exports; staffing runs but offers no export (404); nobody serves assistance
    or evaluation."""
    nc = await connect(nats_url, "test-export-upstreams")
    js = nc.jetstream()
    await ensure_buckets(js)
    for name in ("enrollment", "staffing"):
        await ensure_service_assets(js, name, 1)
    servers = [
        BridgeServer(exporting("enrollment"), nc, js, "enrollment"),
        BridgeServer(FastAPI(), nc, js, "staffing"),
    ]
    for server in servers:
        await server.start()
    await nc.flush()
    yield
    for server in servers:
        await server.stop()
    await nc.close()


async def test_the_bundle_gathers_each_services_export_and_names_the_rest(
    http: httpx.AsyncClient, gateway_token: Any
) -> None:
    headers = auth(gateway_token("enrollment:read", "enrollment:pii"))
    answer = await http.post("/v1/children/export", json={"citizen_id": CHILD}, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    enrollment = body["services"]["enrollment"]
    assert enrollment["sections"]["applications"] == [{"citizen_id": CHILD}]
    assert enrollment["seen_token"] is True
    assert body["not_included"]["staffing"]["status"] == 404
    assert {body["not_included"][s]["status"] for s in ("assistance", "evaluation")} == {503}
    assert "第四十五条" in body["legal_basis"]


async def test_a_token_without_any_pii_scope_is_refused(
    http: httpx.AsyncClient, gateway_token: Any
) -> None:
    headers = auth(gateway_token("enrollment:read"))
    answer = await http.post("/v1/children/export", json={"citizen_id": CHILD}, headers=headers)
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["rule"] == "scope_required"
    invalid = await http.post(
        "/v1/children/export",
        json={"citizen_id": "150602201903150019"},
        headers=auth(gateway_token("enrollment:pii")),
    )
    assert invalid.status_code == 422
