"""POST /v1/children/export at the gateway (《个人信息保护法》第四十五条, access request): each
service's export gathered in one bundle, under the caller's token; services that do not answer,
offer no export or refuse the caller are named in `not_included`. The last test runs the real
enrollment and assistance apps behind the bridge: the bundle holds both services' rows."""

import io
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import SecretStr
from pypdf import PdfReader

from assistance.app import create_app as create_assistance
from assistance.ledger.service import append
from assistance.settings import AssistanceSettings
from assistance.students.models import Student
from enrollment.app import create_app as create_enrollment
from enrollment.settings import EnrollmentSettings
from gateway.app import create_app as create_gateway
from gateway.export_pdf import bundle_html
from junheng_kit.agency.ledger import LedgerRecord
from junheng_kit.bridge import BridgeServer
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.identifiers import student_key
from junheng_kit.messaging.connection import connect, ensure_buckets, ensure_service_assets
from junheng_kit.migrations import service_dir
from junheng_kit.testing.plugin import TEST_PSEUDONYM_KEY, Databases, auth, service_settings
from junheng_kit.tokens import TokenSigner

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


SERVED = ("enrollment", "assistance")


@pytest.fixture
def service_urls(databases: Databases) -> dict[str, str]:
    """Fresh migrated SQLite databases of enrollment and assistance (alembic runs sync)."""
    return {name: databases.fresh(service_dir(name), "sqlite") for name in SERVED}


@pytest.fixture
async def served(
    nats_url: str, service_urls: dict[str, str], make_settings: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, dict[str, str]]]:
    """The gateway with the real enrollment and assistance apps answering over NATS, each on its
    own database, trusting the gateway's key."""
    urls = service_urls
    async with AsyncExitStack() as stack:
        gateway_app = create_gateway(make_settings(pseudonym_key=SecretStr(TEST_PSEUDONYM_KEY)))
        await stack.enter_async_context(gateway_app.router.lifespan_context(gateway_app))
        jwks = json.dumps(gateway_app.state.jwks)
        nc = await connect(nats_url, "test-export-services")
        js = nc.jetstream()
        await ensure_buckets(js)
        servers = []
        for name, create, settings_type in (
            ("enrollment", create_enrollment, EnrollmentSettings),
            ("assistance", create_assistance, AssistanceSettings),
        ):
            settings = service_settings(settings_type, database_url=urls[name], jwks_json=jwks)
            service = create(settings)
            await stack.enter_async_context(service.router.lifespan_context(service))
            await ensure_service_assets(js, name, 1)
            server = BridgeServer(service, nc, js, name)
            await server.start()
            servers.append(server)
        await nc.flush()
        http = await stack.enter_async_context(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=gateway_app), base_url="http://gateway"
            )
        )
        yield gateway_app, http, urls
        for server in servers:
            await server.stop()
        await nc.close()


async def on_the_roster(url: str, citizen_id: str) -> str:
    """The child on assistance's roster (inserted as the award tests do) and one agency lookup
    about them in its ledger; the child's pseudonymous key."""
    key = student_key(TEST_PSEUDONYM_KEY.encode(), citizen_id)
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session:
        session.add(
            Student(
                citizen_id=citizen_id,
                student_key=key,
                name="李小明",
                gender="male",
                birth_date=date(2019, 3, 15),
                county_code="150602",
                school_code="2115060201",
                level="primary",
                grade=1,
            )
        )
        await append(
            session,
            LedgerRecord(
                kind="lookup",
                actor="school-150602",
                county_code="150602",
                agency="mca",
                purpose="资助资格认定",
                request_id="req-1",
                outcome="matched",
                student_key=key,
                consent_ref="consent-1",
            ),
        )
        await session.commit()
    await engine.dispose()
    return key


async def test_the_bundle_has_the_real_enrollment_and_assistance_exports(
    served: tuple[FastAPI, httpx.AsyncClient, dict[str, str]],
) -> None:
    app, http, urls = served
    key = await on_the_roster(urls["assistance"], CHILD)
    signer: TokenSigner = app.state.signer
    bureau = signer.issue(
        subject="bureau-clerk",
        scopes=[
            "enrollment:read",
            "enrollment:write",
            "enrollment:pii",
            "assistance:read",
            "assistance:pii",
        ],
        jurisdiction=["150602"],
    )
    hold = await http.post(
        "/enrollment/v1/legal-holds",
        json={
            "kind": "application.not_admitted",
            "county_code": "150602",
            "citizen_id": CHILD,
            "reason": "行政复议 / review",
        },
        headers=auth(bureau),
    )
    assert hold.status_code == 201, hold.text
    answer = await http.post(
        "/v1/children/export", json={"citizen_id": CHILD}, headers=auth(bureau)
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert sorted(body["services"]) == ["assistance", "enrollment"]
    assert sorted(body["not_included"]) == ["evaluation", "staffing"]  # not served here
    enrollment, assistance = body["services"]["enrollment"], body["services"]["assistance"]
    assert (enrollment["student_key"], assistance["student_key"]) == (key, key)
    assert [h["reason"] for h in enrollment["sections"]["legal_holds"]] == ["行政复议 / review"]
    (student,) = assistance["sections"]["students"]
    assert (student["citizen_id"], student["name"]) == (CHILD, "李小明")
    assert [e["consent_ref"] for e in assistance["sections"]["agency_lookups"]] == ["consent-1"]

    enrollment_only = signer.issue(
        subject="enrollment-clerk",
        scopes=["enrollment:read", "enrollment:pii", "assistance:read"],
        jurisdiction=["150602"],
    )
    partial = await http.post(
        "/v1/children/export", json={"citizen_id": CHILD}, headers=auth(enrollment_only)
    )
    assert sorted(partial.json()["services"]) == ["enrollment"]
    assert partial.json()["not_included"]["assistance"]["status"] == 403
