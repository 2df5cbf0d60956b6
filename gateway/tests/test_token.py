"""POST /oauth/token and the JWKS, on SQLite and PostgreSQL."""

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from junheng_kit.auth import JWKS_KEY, KEYS_BUCKET, TokenVerifier
from junheng_kit.messaging.connection import connect
from junheng_kit.problems import PROBLEM_JSON
from junheng_kit.testing.plugin import auth
from junheng_kit.tokens import TokenSigner

SECRET = "s3cret-value"
FORM = {"grant_type": "client_credentials"}


@pytest.fixture
async def gateway_db(
    start_gateway: Any, database_url: str
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with start_gateway(database_url=database_url) as pair:
        yield pair


@pytest.fixture
async def client_id(register: Any, database_url: str) -> str:
    return str(
        await register(
            database_url,
            scopes=["enrollment:read", "enrollment:write", "staffing:read"],
            secret=SECRET,
        )
    )


class TestTokenIssuance:
    async def test_form_credentials_get_a_bearer_token_for_every_granted_scope(
        self, gateway_db: tuple[FastAPI, httpx.AsyncClient], client_id: str
    ) -> None:
        app, http = gateway_db
        response = await http.post(
            "/oauth/token", data={**FORM, "client_id": client_id, "client_secret": SECRET}
        )
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 900
        assert body["scope"] == "enrollment:read enrollment:write staffing:read"
        assert response.headers["cache-control"] == "no-store"
        verifier = TokenVerifier(
            issuer="junheng-gateway", audience="junheng", static_jwks=app.state.jwks
        )
        principal = await verifier.verify(body["access_token"])
        assert principal.client_id == client_id
        assert principal.jurisdiction.prefixes == ("150602",)

    async def test_the_token_opens_the_service_routes(
        self, gateway_db: tuple[FastAPI, httpx.AsyncClient], client_id: str
    ) -> None:
        _, http = gateway_db
        token = (
            await http.post(
                "/oauth/token", data={**FORM, "client_id": client_id, "client_secret": SECRET}
            )
        ).json()["access_token"]
        response = await http.post("/enrollment/v1/echo", content=b"hi", headers=auth(token))
        assert (response.status_code, response.content) == (201, b"hi")

    async def test_http_basic_credentials_and_a_scope_subset(
        self, gateway_db: tuple[FastAPI, httpx.AsyncClient], client_id: str
    ) -> None:
        _, http = gateway_db
        basic = base64.b64encode(f"{client_id}:{SECRET}".encode()).decode()
        response = await http.post(
            "/oauth/token",
            data={**FORM, "scope": "staffing:read"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert response.status_code == 200
        assert response.json()["scope"] == "staffing:read"

    async def test_a_scope_not_granted_is_400(
        self, gateway_db: tuple[FastAPI, httpx.AsyncClient], client_id: str
    ) -> None:
        _, http = gateway_db
        response = await http.post(
            "/oauth/token",
            data={
                **FORM,
                "client_id": client_id,
                "client_secret": SECRET,
                "scope": "enrollment:read evaluation:write",
            },
        )
        assert response.status_code == 400
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["errors"] == [
            {"field": "scope", "rule": "invalid_scope", "message": "evaluation:write"}
        ]

    async def test_a_wrong_secret_is_401_invalid_client(
        self, gateway_db: tuple[FastAPI, httpx.AsyncClient], client_id: str
    ) -> None:
        _, http = gateway_db
        response = await http.post(
            "/oauth/token", data={**FORM, "client_id": client_id, "client_secret": "guess"}
        )
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.headers["www-authenticate"] == 'Basic realm="junheng"'
        assert response.json()["errors"][0]["rule"] == "invalid_client"
        assert response.json()["instance"].startswith("urn:junheng:request:")

    async def test_an_unknown_client_is_401_invalid_client(
        self, gateway_db: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        _, http = gateway_db
        response = await http.post(
            "/oauth/token", data={**FORM, "client_id": "nobody", "client_secret": SECRET}
        )
        assert response.status_code == 401
        assert response.json()["errors"][0]["rule"] == "invalid_client"

    async def test_another_grant_type_is_400(
        self, gateway_db: tuple[FastAPI, httpx.AsyncClient], client_id: str
    ) -> None:
        _, http = gateway_db
        response = await http.post(
            "/oauth/token",
            data={"grant_type": "password", "client_id": client_id, "client_secret": SECRET},
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["rule"] == "unsupported_grant_type"

    async def test_a_json_body_is_415(self, gateway_db: tuple[FastAPI, httpx.AsyncClient]) -> None:
        _, http = gateway_db
        response = await http.post("/oauth/token", json=FORM)
        assert response.status_code == 415


class TestJwks:
    async def test_publishes_the_signing_key_over_http_and_to_nats(
        self, gateway: tuple[FastAPI, httpx.AsyncClient], nats_url: str, signing_key_file: Path
    ) -> None:
        _, http = gateway
        signer = TokenSigner.from_pem(
            signing_key_file.read_bytes(), issuer="junheng-gateway", audience="junheng"
        )
        response = await http.get("/.well-known/jwks.json")
        assert response.status_code == 200
        assert response.json() == {"keys": [signer.public_jwk]}
        nc = await connect(nats_url, "test-jwks")
        try:
            entry = await (await nc.jetstream().key_value(KEYS_BUCKET)).get(JWKS_KEY)
        finally:
            await nc.close()
        assert json.loads(entry.value or b"") == {"keys": [signer.public_jwk]}

    async def test_a_previous_key_stays_published_and_accepted(
        self, start_gateway: Any, tmp_path: Path
    ) -> None:
        previous = TokenSigner.generate(issuer="junheng-gateway", audience="junheng")
        previous_file = tmp_path / "previous.pem"
        previous_file.write_bytes(previous.private_pem())
        async with start_gateway(previous_key_files=[previous_file]) as (app, http):
            keys = (await http.get("/.well-known/jwks.json")).json()["keys"]
            assert [k["kid"] for k in keys] == [app.state.signer.kid, previous.kid]
            old_token = previous.issue(subject="c", scopes=["enrollment:read"], jurisdiction=["15"])
            response = await http.post("/enrollment/v1/echo", content=b"x", headers=auth(old_token))
        assert response.status_code == 201
