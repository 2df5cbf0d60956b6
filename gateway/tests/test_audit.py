"""The gateway's audit trail (issue 20 item 1): tokens issued and refused, clients registered,
the signing key in use, all in the gateway's own hash-chained trail (`GET /v1/audit`, scope
`audit:read`); and the family view — one child's accesses in every service, merged."""

import argparse
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from assistance.app import create_app as create_assistance
from assistance.settings import AssistanceSettings
from enrollment.app import create_app as create_enrollment
from enrollment.settings import EnrollmentSettings
from gateway import cli
from gateway.auth import rules
from junheng_kit.bridge import BridgeServer
from junheng_kit.identifiers import citizen_id_from_body, student_key
from junheng_kit.messaging.connection import connect, ensure_buckets, ensure_service_assets
from junheng_kit.migrations import service_dir
from junheng_kit.testing.plugin import TEST_PSEUDONYM_KEY, Databases, auth, service_settings
from junheng_kit.tokens import TokenSigner

SECRET = "s3cret-value"
FORM = {"grant_type": "client_credentials"}
CHILD = citizen_id_from_body("15060220190101001")


async def trail(http: httpx.AsyncClient, token: str, **params: str) -> list[dict[str, Any]]:
    answer = await http.get("/v1/audit", params=params, headers=auth(token))
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def test_audit_read_is_a_scope_a_client_can_be_granted() -> None:
    services = ["enrollment", "assistance"]
    assert "audit:read" in rules.known_scopes(services)
    assert rules.validate_scopes(["audit:read", "enrollment:read"], services) == [
        "audit:read",
        "enrollment:read",
    ]


async def test_tokens_issued_and_refused_are_in_the_gateways_trail(
    gateway: tuple[FastAPI, httpx.AsyncClient], register: Any, sqlite_url: str
) -> None:
    app, http = gateway
    client_id = await register(sqlite_url, scopes=["enrollment:read", "audit:read"])
    issued = await http.post(
        "/oauth/token", data={**FORM, "client_id": client_id, "client_secret": SECRET}
    )
    assert issued.status_code == 200
    refused = await http.post(
        "/oauth/token", data={**FORM, "client_id": client_id, "client_secret": "guess"}
    )
    assert refused.status_code == 401
    token = issued.json()["access_token"]
    tokens = await trail(http, token, kind="token", client_id=client_id)
    assert [(e["outcome"], e["status"]) for e in tokens[:2]] == [("denied", 401), ("ok", 200)]
    assert tokens[1]["record_ids"] == ["audit:read", "enrollment:read"]  # the scopes granted
    assert tokens[1]["county_code"] == "150602"
    keys = await trail(http, token, kind="signing_key")
    assert [e["record_ids"] for e in keys][-1:] == [[app.state.signer.kid]]
    verified = await http.get("/v1/audit/verify", headers=auth(token))
    assert verified.json()["intact"] is True
    assert (await http.get("/v1/audit", headers=auth(issued_without_audit(app)))).status_code == 403


def issued_without_audit(app: FastAPI) -> str:
    signer: TokenSigner = app.state.signer
    return signer.issue(subject="c", scopes=["enrollment:read"], jurisdiction=["150602"])


async def test_a_registered_client_is_an_administrative_act_and_its_purpose_goes_in_its_tokens(
    start_gateway: Any, sqlite_url: str
) -> None:
    args = argparse.Namespace(
        name="App backend",
        scopes="enrollment:read",
        jurisdiction="150602",
        client_id=None,
        secret=SECRET,
        purpose="入学申请进度查询",
    )
    async with start_gateway() as (app, http):
        registered = await cli.register_client(app.state.settings, args)
        issued = await http.post(
            "/oauth/token",
            data={**FORM, "client_id": registered["client_id"], "client_secret": SECRET},
        )
        claims = json.loads(_segment(issued.json()["access_token"]))
        auditor = app.state.signer.issue(
            subject="auditor", scopes=["audit:read"], jurisdiction=["15"]
        )
        acts = await trail(http, auditor, kind="client")
    assert claims["purpose"] == "入学申请进度查询"
    assert [
        (e["client_id"], e["action"]) for e in acts if e["record_ids"] == [registered["client_id"]]
    ] == [("operator:cli", "admin")]


def _segment(token: str) -> str:
    import base64

    payload = token.split(".")[1]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()


@pytest.fixture
def service_databases(databases: Databases) -> dict[str, str]:
    """Fresh migrated SQLite databases of enrollment and assistance (alembic runs sync)."""
    return {name: databases.fresh(service_dir(name), "sqlite") for name in SERVED}


SERVED = ("enrollment", "assistance")


@pytest.fixture
async def family_system(
    nats_url: str, service_databases: dict[str, str], make_settings: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The gateway with the real enrollment and assistance apps answering over NATS (each on
    its own migrated database, trusting the gateway's key)."""
    async with AsyncExitStack() as stack:
        gateway_app = __import__("gateway.app", fromlist=["create_app"]).create_app(
            make_settings(pseudonym_key=SecretStr(TEST_PSEUDONYM_KEY))
        )
        await stack.enter_async_context(gateway_app.router.lifespan_context(gateway_app))
        jwks = json.dumps(gateway_app.state.jwks)
        nc = await connect(nats_url, "test-family-services")
        js = nc.jetstream()
        await ensure_buckets(js)
        servers = []
        for name, create, settings_type in (
            ("enrollment", create_enrollment, EnrollmentSettings),
            ("assistance", create_assistance, AssistanceSettings),
        ):
            url = service_databases[name]
            service = create(service_settings(settings_type, database_url=url, jwks_json=jwks))
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
        yield gateway_app, http
        for server in servers:
            await server.stop()
        await nc.close()


async def test_the_family_view_finds_the_childs_accesses_in_enrollment_and_assistance(
    family_system: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, http = family_system
    signer: TokenSigner = app.state.signer
    clerk = signer.issue(
        subject="bureau-clerk",
        scopes=["enrollment:read", "enrollment:pii", "assistance:read", "assistance:pii"],
        jurisdiction=["150602"],
    )
    headers = auth(clerk, **{"X-On-Behalf-Of": "clerk-7", "X-Purpose": "family-request"})
    for path in ("/enrollment/v1/applications/search", "/assistance/v1/students/search"):
        answer = await http.post(path, json={"citizen_id": CHILD}, headers=headers)
        assert answer.status_code == 200, answer.text
    auditor = signer.issue(subject="auditor", scopes=["audit:read"], jurisdiction=["1506"])
    refused = await http.post(
        "/v1/audit/children/search", json={"citizen_id": CHILD}, headers=auth(clerk)
    )
    assert refused.status_code == 403
    found = await http.post(
        "/v1/audit/children/search", json={"citizen_id": CHILD}, headers=auth(auditor)
    )
    assert found.status_code == 200, found.text
    view = found.json()
    assert view["student_key"] == student_key(TEST_PSEUDONYM_KEY.encode(), CHILD)
    assert sorted(view["unavailable"]) == ["evaluation", "staffing"]  # not served in this test
    items = view["items"]
    assert [(i["service"], i["action"], i["client_id"]) for i in items] == [
        ("assistance", "search", "bureau-clerk"),
        ("enrollment", "search", "bureau-clerk"),
    ]
    assert items[0]["service_label"] == {"zh": "学生资助", "en": "student assistance"}
    assert items[0]["action_label"] == {"zh": "查询", "en": "search"}
    assert (items[1]["on_behalf_of"], items[1]["purpose"]) == ("clerk-7", "family-request")
    # the auditor reads a service's trail through the gateway with audit:read alone
    direct = await http.get(
        "/enrollment/v1/audit", params={"student_key": view["student_key"]}, headers=auth(auditor)
    )
    assert direct.status_code == 200
    assert len(direct.json()["items"]) == 1
    # and the search itself is in the gateway's trail
    gateway_trail = await trail(http, auditor, kind="audit_trail")
    assert [(e["client_id"], e["outcome"], e["student_keys"]) for e in gateway_trail] == [
        ("auditor", "ok", [view["student_key"]]),
        ("bureau-clerk", "denied", []),  # refused before the child was named
    ]


async def test_a_purpose_required_clients_read_without_x_purpose_is_refused_by_the_service(
    family_system: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    """A client registered with --purpose-required: through the gateway, enrollment refuses its
    application search without X-Purpose (403 naming header.x-purpose) — its registered purpose
    notwithstanding — and answers it with one; both in enrollment's trail."""
    app, http = family_system
    args = argparse.Namespace(
        name="App backend",
        scopes="enrollment:read enrollment:pii",
        jurisdiction="150602",
        client_id=None,
        secret=SECRET,
        purpose="入学资格审核",
        purpose_required=True,
    )
    registered = await cli.register_client(app.state.settings, args)
    issued = await http.post(
        "/oauth/token", data={**FORM, "client_id": registered["client_id"], "client_secret": SECRET}
    )
    assert json.loads(_segment(issued.json()["access_token"]))["purpose_required"] is True
    bearer = issued.json()["access_token"]
    search = "/enrollment/v1/applications/search"
    refused = await http.post(search, json={"citizen_id": CHILD}, headers=auth(bearer))
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [
        ("header.x-purpose", "purpose_required")
    ]
    answered = await http.post(
        search,
        json={"citizen_id": CHILD},
        headers=auth(bearer, **{"X-Purpose": quote("家长申诉复核")}),
    )
    assert answered.status_code == 200, answered.text
    auditor = app.state.signer.issue(subject="auditor", scopes=["audit:read"], jurisdiction=["15"])
    recorded = await http.get(
        "/enrollment/v1/audit",
        params={"client_id": registered["client_id"]},
        headers=auth(auditor),
    )
    assert recorded.status_code == 200, recorded.text
    assert [(e["outcome"], e["status"], e["purpose"]) for e in recorded.json()["items"]] == [
        ("ok", 200, "家长申诉复核"),
        ("denied", 403, "入学资格审核"),
    ]
