"""A client whose policy requires a declared purpose (`purpose_required: true` in its tokens):
an audited operation without `X-Purpose` is refused before it runs (403 naming
`header.x-purpose`, rule `purpose_required`) and the refusal is in the trail; with the header it
runs as always. Both ways in: `audit_of` (a FastAPI route) and `fast_trail` (a fast route)."""

from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import select
from starlette.responses import JSONResponse, Response

from junheng_kit.app import build_service_app
from junheng_kit.audit import AuditTrail, audit_of, fast_trail
from junheng_kit.audit.tables import AuditEntry
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.fast_routes import FastRequest
from junheng_kit.testing.plugin import auth, small_service_settings
from junheng_kit.tokens import TokenSigner


def kids_app(database_url: str, jwks_json: str, ran: list[str]) -> FastAPI:
    """One audited read (a route) and one audited create (a fast route); `ran` lists what the
    operations did, so a refusal that let one run would show."""
    router = APIRouter()

    @router.get("/v1/children/{code}")
    async def read_child(
        code: str,
        audit: Annotated[AuditTrail, Depends(audit_of("child", "read"))],
        _: Annotated[Principal, Depends(require_scopes("kids:read"))],
    ) -> dict[str, str]:
        ran.append(f"read {code}")
        audit.touched(ids=[code], classes=["personal"], county_code="150602")
        return {"name": "张三"}

    @router.post("/v1/children", status_code=201)
    async def add_child(
        _: Annotated[Principal, Depends(require_scopes("kids:write"))],
    ) -> dict[str, str]:
        ran.append("route create")
        return {"via": "route"}

    async def add_child_fast(request: FastRequest) -> Response | None:
        principal = await request.principal("kids:write")
        if principal is None:
            return None
        audit = fast_trail(request.scope, principal, "child", "create")
        ran.append("fast create")
        audit.touched(ids=["new"], classes=["personal"], county_code="150602")
        return JSONResponse({"via": "fast"}, status_code=201)

    return build_service_app(
        small_service_settings("kids", database_url, jwks_json=jwks_json),
        title="kids",
        description="",
        routers=[router],
        fast_routes={("POST", "/v1/children"): add_child_fast},
    )


@pytest.fixture
async def kids(
    fresh_database_url: str, jwks_json: str
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, list[str]]]:
    ran: list[str] = []
    app = kids_app(fresh_database_url, jwks_json, ran)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kids") as http:
            yield app, http, ran


def bearer(signer: TokenSigner, *scopes: str, **claims: Any) -> str:
    return signer.issue(
        subject="app-backend", scopes=scopes, jurisdiction=["150602"], extra=claims or None
    )


async def entries(app: FastAPI) -> list[tuple[str, int, str, str]]:
    async with app.state.sessionmaker() as session:
        rows = await session.execute(
            select(AuditEntry.kind, AuditEntry.status, AuditEntry.outcome, AuditEntry.purpose)
            .where(AuditEntry.client_id == "app-backend")
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def assert_purpose_required(answer: httpx.Response) -> None:
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "urn:junheng:problem:purpose-required"
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
        ("header.x-purpose", "purpose_required")
    ]
    assert "X-Purpose" in problem["detail"]


async def test_a_read_without_x_purpose_is_refused_before_it_runs_and_recorded_as_denied(
    kids: tuple[FastAPI, httpx.AsyncClient, list[str]], signer: TokenSigner
) -> None:
    """Even with a registered default purpose: the flag asks for a purpose per call."""
    app, http, ran = kids
    token = bearer(signer, "kids:read", purpose_required=True, purpose="入学资格审核")
    refused = await http.get("/v1/children/c-1", headers=auth(token))
    assert_purpose_required(refused)
    assert ran == []
    answered = await http.get(
        "/v1/children/c-1", headers=auth(token, **{"X-Purpose": quote("复核")})
    )
    assert answered.status_code == 200, answered.text
    assert ran == ["read c-1"]
    assert await entries(app) == [
        ("child", 403, "denied", "入学资格审核"),
        ("child", 200, "ok", "复核"),
    ]


async def test_the_refusal_speaks_the_callers_language(
    kids: tuple[FastAPI, httpx.AsyncClient, list[str]], signer: TokenSigner
) -> None:
    _, http, _ = kids
    token = bearer(signer, "kids:read", purpose_required=True)
    chinese = await http.get("/v1/children/c-1", headers=auth(token, **{"Accept-Language": "zh"}))
    english = await http.get("/v1/children/c-1", headers=auth(token, **{"Accept-Language": "en"}))
    assert (chinese.status_code, english.status_code) == (403, 403)
    assert chinese.json()["detail"] != english.json()["detail"]
    assert "用途" in chinese.json()["detail"]
    assert "purpose" in english.json()["detail"]


async def test_a_fast_route_refuses_the_same_way_and_records_it(
    kids: tuple[FastAPI, httpx.AsyncClient, list[str]], signer: TokenSigner
) -> None:
    app, http, ran = kids
    token = bearer(signer, "kids:write", purpose_required=True)
    refused = await http.post("/v1/children", json={}, headers=auth(token))
    assert_purpose_required(refused)
    assert ran == []  # neither the fast way nor the route ran
    answered = await http.post(
        "/v1/children", json={}, headers=auth(token, **{"X-Purpose": quote("转学登记")})
    )
    assert answered.status_code == 201, answered.text
    assert answered.json() == {"via": "fast"}
    assert ran == ["fast create"]
    assert await entries(app) == [
        ("child", 403, "denied", "unspecified"),
        ("child", 201, "ok", "转学登记"),
    ]


@pytest.mark.parametrize(
    "claims",
    [{}, {"purpose_required": False}, {"purpose_required": "true"}],
    ids=["no-claim", "false", "not-a-boolean"],
)
async def test_other_clients_may_still_call_without_a_purpose(
    kids: tuple[FastAPI, httpx.AsyncClient, list[str]], signer: TokenSigner, claims: Any
) -> None:
    app, http, ran = kids
    answer = await http.get("/v1/children/c-1", headers=auth(bearer(signer, "kids:read", **claims)))
    assert answer.status_code == 200, answer.text
    assert ran == ["read c-1"]
    assert await entries(app) == [("child", 200, "ok", "unspecified")]


async def test_an_invalid_x_purpose_is_still_the_422_it_was(
    kids: tuple[FastAPI, httpx.AsyncClient, list[str]], signer: TokenSigner
) -> None:
    _, http, ran = kids
    token = bearer(signer, "kids:read", purpose_required=True)
    answer = await http.get("/v1/children/c-1", headers=auth(token, **{"X-Purpose": " padded"}))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["rule"] == "purpose_format"
    assert ran == []
