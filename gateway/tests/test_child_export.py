"""POST /v1/children/export at the gateway (《个人信息保护法》第四十五条, access request): each
service's export gathered in one bundle, under the caller's token; services that do not answer,
offer no export or refuse the caller are named in `not_included`."""

import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from pypdf import PdfReader

from gateway.export_pdf import bundle_html
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
            "sections": {
                "applications": [{"citizen_id": asked["citizen_id"], "note": "<b>写给家长</b>"}]
            },
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
    assert enrollment["sections"]["applications"] == [
        {"citizen_id": CHILD, "note": "<b>写给家长</b>"}
    ]
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


async def test_the_family_copy_prints_the_same_bundle_as_a_pdf(
    http: httpx.AsyncClient, gateway_token: Any
) -> None:
    """POST /v1/children/export.pdf: the bundle printed — the cover, which services are in and
    which are not (with why), every stored field and value; a stored value prints as text."""
    headers = auth(gateway_token("enrollment:read", "enrollment:pii"))
    answer = await http.post("/v1/children/export.pdf", json={"citizen_id": CHILD}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith('attachment; filename="child-data-')
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    flat = "".join(text.split())
    for expected in (
        "个人信息查阅副本",
        "第四十五条",
        "招生入学",
        "未包含",
        CHILD,
        "<b>写给家长</b>",
    ):
        assert expected in flat, expected
    refused = await http.post(
        "/v1/children/export.pdf",
        json={"citizen_id": CHILD},
        headers=auth(gateway_token("enrollment:read")),
    )
    assert refused.status_code == 403


def test_nothing_a_service_stored_becomes_markup() -> None:
    bundle = {
        "services": {
            "enrollment": {
                "student_key": "k" * 32,
                "sections": {"<i>t</i>": [{"<k>": "</table><script>x</script>"}]},
            }
        },
        "not_included": {"staffing": {"status": 404, "detail": "<p>none</p>"}},
    }
    html = bundle_html(bundle)
    for raw in ("<script>", "<i>t</i>", "<k>", "<p>none</p>"):
        assert raw not in html
    assert "&lt;script&gt;" in html
