"""Forwarding `/{service}/…` over NATS: auth, scope, limits and upstream failures."""

import base64
import json
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from junheng_kit.problems import PROBLEM_JSON
from junheng_kit.testing.plugin import auth
from junheng_kit.tokens import TokenSigner

MIB = 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["instance"] == f"urn:junheng:request:{response.headers['x-request-id']}"
    return body


class TestAuthentication:
    async def test_missing_token_is_401_with_www_authenticate(
        self, http: httpx.AsyncClient
    ) -> None:
        response = await http.get("/enrollment/v1/items/1")
        body = assert_problem(response, 401)
        assert body["errors"][0]["rule"] == "bearer_token_required"
        assert response.headers["www-authenticate"].startswith("Bearer")

    @pytest.mark.parametrize("kind", ["tampered", "expired", "wrong_key", "alg_none", "garbage"])
    async def test_an_invalid_token_is_401(
        self, http: httpx.AsyncClient, gateway_token: Any, signer: TokenSigner, kind: str
    ) -> None:
        valid = gateway_token("enrollment:read")
        header, payload, signature = valid.split(".")
        claims = json.loads(_unb64(payload))
        if kind == "tampered":
            claims["scope"] = "enrollment:read enrollment:write"
            token = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
        elif kind == "expired":
            token = gateway_token("enrollment:read", ttl_seconds=60, now=time.time() - 3600)
        elif kind == "wrong_key":  # the kit fixture's signer: same issuer, another key
            token = signer.issue(subject="x", scopes=["enrollment:read"], jurisdiction=["15"])
        elif kind == "alg_none":
            none_header = json.loads(_unb64(header)) | {"alg": "none"}
            token = f"{_b64(json.dumps(none_header).encode())}.{payload}."
        else:
            token = "not-a-jwt"
        response = await http.get("/enrollment/v1/items/1", headers=auth(token))
        body = assert_problem(response, 401)
        assert body["errors"][0]["field"] == "authorization"
        assert 'error="invalid_token"' in response.headers["www-authenticate"]

    async def test_a_token_without_a_scope_of_the_service_is_403(
        self, http: httpx.AsyncClient, gateway_token: Any
    ) -> None:
        response = await http.get(
            "/enrollment/v1/items/1", headers=auth(gateway_token("staffing:read", "staffing:write"))
        )
        body = assert_problem(response, 403)
        assert body["errors"][0]["rule"] == "scope_required"

    async def test_any_scope_of_the_service_passes_the_gateway(
        self, http: httpx.AsyncClient, gateway_token: Any
    ) -> None:
        response = await http.get(
            "/staffing/v1/items/7", headers=auth(gateway_token("staffing:read"))
        )
        assert response.status_code == 200
        assert response.json() == {"item_id": "7", "name": "desk"}


class TestForwarding:
    async def test_strips_the_prefix_and_passes_body_headers_query_and_status(
        self, http: httpx.AsyncClient, gateway_token: Any
    ) -> None:
        token = gateway_token("enrollment:write")
        response = await http.post(
            "/enrollment/v1/echo?a=1&b=%E4%B8%AD",
            content="你好".encode(),
            headers=auth(
                token,
                **{
                    "Content-Type": "text/plain; charset=utf-8",
                    "X-Custom": "kept",
                    "Keep-Alive": "timeout=5",
                },
            ),
        )
        assert response.status_code == 201
        assert response.text == "你好"
        assert response.headers["x-seen-path"] == "/v1/echo"
        assert response.headers["x-seen-query"] == "a=1&b=%E4%B8%AD"
        assert response.headers["x-seen-authorization"] == f"Bearer {token}"
        assert response.headers["x-seen-custom"] == "kept"
        assert response.headers["x-seen-keep-alive"] == "-"  # hop-by-hop: not forwarded
        assert response.headers["x-seen-prefix"] == "/enrollment"
        assert response.headers["x-service"] == "enrollment"
        assert response.headers["content-type"] == "text/plain; charset=utf-8"

    async def test_a_location_is_the_path_the_caller_follows_through_the_gateway(
        self, http: httpx.AsyncClient, gateway_token: Any
    ) -> None:
        token = gateway_token("enrollment:read", "enrollment:write")
        created = await http.post(
            "/enrollment/v1/items", json={"item_id": "7", "name": "desk"}, headers=auth(token)
        )

        assert created.status_code == 201
        assert created.headers["location"] == "/enrollment/v1/items/7"
        followed = await http.get(created.headers["location"], headers=auth(token))
        assert (followed.status_code, followed.json()["item_id"]) == (200, "7")

    async def test_a_matching_if_none_match_is_304_without_a_body(
        self, http: httpx.AsyncClient, gateway_token: Any
    ) -> None:
        token = gateway_token("enrollment:read")
        fresh = await http.get("/enrollment/v1/tagged", params={"size": 10}, headers=auth(token))
        stale = await http.get(
            "/enrollment/v1/tagged",
            params={"size": 10},
            headers=auth(token, **{"If-None-Match": '"v6"'}),
        )
        same = await http.get(
            "/enrollment/v1/tagged",
            params={"size": 10},
            headers=auth(token, **{"If-None-Match": 'W/"v7"'}),
        )

        assert (fresh.status_code, fresh.headers["etag"]) == (200, '"v7"')
        assert stale.status_code == 200
        assert stale.json() == fresh.json()
        assert (same.status_code, same.content, same.headers["etag"]) == (304, b"", '"v7"')
        assert "content-length" not in same.headers  # a 304 states no length of its own
        assert same.headers["ratelimit"]  # the limit fields still travel

    async def test_the_request_id_is_adopted_forwarded_and_echoed(
        self, http: httpx.AsyncClient, gateway_token: Any
    ) -> None:
        response = await http.post(
            "/enrollment/v1/echo",
            content=b"{}",
            headers=auth(gateway_token("enrollment:write"), **{"X-Request-ID": "req-42"}),
        )
        assert response.headers["x-request-id"] == "req-42"
        assert response.headers.get_list("x-request-id") == ["req-42"]
        assert response.headers["x-seen-request-id"] == "req-42"

    async def test_a_request_id_is_created_when_missing(
        self, http: httpx.AsyncClient, gateway_token: Any
    ) -> None:
        response = await http.post(
            "/enrollment/v1/echo", content=b"{}", headers=auth(gateway_token("enrollment:write"))
        )
        created = response.headers["x-request-id"]
        assert len(created) == 36
        assert response.headers["x-seen-request-id"] == created

    async def test_validation_errors_of_the_service_come_back_unchanged(
        self, http: httpx.AsyncClient, gateway_token: Any
    ) -> None:
        response = await http.post(
            "/enrollment/v1/items",
            json={"item_id": "1"},
            headers=auth(gateway_token("enrollment:write")),
        )
        assert response.status_code == 422

    async def test_20_mb_goes_up_and_comes_back_through_the_object_store(
        self, http: httpx.AsyncClient, gateway_token: Any
    ) -> None:
        payload = random.Random(20).randbytes(20 * MIB)  # incompressible: deflating cannot help
        response = await http.post(
            "/enrollment/v1/echo",
            content=payload,
            headers=auth(
                gateway_token("enrollment:write"), **{"Content-Type": "application/octet-stream"}
            ),
        )
        assert response.status_code == 201
        assert len(response.content) == 20 * MIB
        assert response.content == payload

    async def test_a_large_json_body_travels_deflated_both_ways(
        self, http: httpx.AsyncClient, gateway_token: Any
    ) -> None:
        """About 38 MB of JSON (a 电脑派位 instance's size class) deflates to a few MB: one message
        each way instead of hundreds of object-store chunks; the bytes arrive unchanged."""
        rng = random.Random(40)
        rows = [
            {"application_id": f"A{n:07d}", "preferences": [f"2115{rng.randrange(10**6):06d}"]}
            for n in range(600_000)
        ]
        payload = json.dumps(rows).encode()
        assert len(payload) > 30 * MIB
        response = await http.post(
            "/enrollment/v1/echo",
            content=payload,
            headers=auth(gateway_token("enrollment:write"), **{"Content-Type": "application/json"}),
        )
        assert response.status_code == 201
        assert response.content == payload

    @pytest.mark.parametrize(
        "path", ["/enrollment/openapi.json", "/enrollment/docs", "/enrollment/metrics"]
    )
    async def test_the_services_own_documents_are_not_published(
        self, http: httpx.AsyncClient, gateway_token: Any, path: str
    ) -> None:
        response = await http.get(path, headers=auth(gateway_token("enrollment:read")))
        assert_problem(response, 404)

    async def test_no_responder_is_503(self, http: httpx.AsyncClient, gateway_token: Any) -> None:
        response = await http.get(
            "/assistance/v1/anything", headers=auth(gateway_token("assistance:read"))
        )
        body = assert_problem(response, 503)
        assert body["type"] == "urn:junheng:problem:service-unavailable"


class TestLimits:
    async def test_the_rate_limit_answers_429_with_retry_after(self, start_gateway: Any) -> None:
        async with start_gateway(rate_limit_per_second=0.5, rate_limit_burst=2) as (app, http):
            token = app.state.signer.issue(
                subject="busy", scopes=["enrollment:read"], jurisdiction=["15"]
            )
            other = app.state.signer.issue(
                subject="calm", scopes=["enrollment:read"], jurisdiction=["15"]
            )
            statuses = [
                (await http.get("/enrollment/v1/items/1", headers=auth(token))) for _ in range(3)
            ]
            calm = await http.get("/enrollment/v1/items/1", headers=auth(other))
        assert [r.status_code for r in statuses] == [200, 200, 429]
        assert_problem(statuses[2], 429)
        assert statuses[2].headers["retry-after"] == "2"
        assert calm.status_code == 200  # per client
        # draft-ietf-httpapi-ratelimit-headers-10: 2 at once, the bucket full again in 4 s
        assert {r.headers["ratelimit-policy"] for r in statuses} == {'"api";q=2;w=4'}
        assert [r.headers["ratelimit"] for r in statuses] == [
            '"api";r=1;t=2',
            '"api";r=0;t=2',
            '"api";r=0;t=2',
        ]
        assert calm.headers["ratelimit"] == '"api";r=1;t=2'

    async def test_a_declared_body_over_the_limit_is_413(self, start_gateway: Any) -> None:
        async with start_gateway(max_body_bytes=1000) as (app, http):
            token = app.state.signer.issue(
                subject="c", scopes=["enrollment:write"], jurisdiction=["15"]
            )
            small = await http.post("/enrollment/v1/echo", content=b"x" * 1000, headers=auth(token))
            large = await http.post("/enrollment/v1/echo", content=b"x" * 1001, headers=auth(token))
        assert small.status_code == 201
        assert assert_problem(large, 413)["errors"][0]["rule"] == "max_body_bytes"

    async def test_a_streamed_body_over_the_limit_is_413(self, start_gateway: Any) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(5):
                yield b"y" * 400

        async with start_gateway(max_body_bytes=1000) as (app, http):
            token = app.state.signer.issue(
                subject="c", scopes=["enrollment:write"], jurisdiction=["15"]
            )
            response = await http.post("/enrollment/v1/echo", content=chunks(), headers=auth(token))
        assert_problem(response, 413)

    async def test_an_upstream_slower_than_the_timeout_is_504(self, start_gateway: Any) -> None:
        async with start_gateway(upstream_timeout_seconds=0.3) as (app, http):
            token = app.state.signer.issue(
                subject="c", scopes=["enrollment:read"], jurisdiction=["15"]
            )
            response = await http.get("/enrollment/v1/slow?seconds=1", headers=auth(token))
        body = assert_problem(response, 504)
        assert body["type"] == "urn:junheng:problem:upstream-timeout"


class TestGatewayOwnRoutes:
    async def test_health_and_readiness(self, gateway: tuple[FastAPI, httpx.AsyncClient]) -> None:
        _, http = gateway
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        checks = ready.json()["checks"]
        webhooks = checks.pop("webhooks")  # degraded while a producer's stream is missing
        assert checks == {"database": "ok", "nats": "ok", "jetstream": "ok"}
        assert webhooks == "ok" or set(webhooks) == {"waiting_for_stream"}
        assert "junheng_http_requests_total" in (await http.get("/metrics")).text

    async def test_cors_preflight_for_a_configured_origin(self, start_gateway: Any) -> None:
        async with start_gateway(cors_origins=["https://app.example.cn"]) as (_, http):
            response = await http.options(
                "/enrollment/v1/items/1",
                headers={
                    "Origin": "https://app.example.cn",
                    "Access-Control-Request-Method": "GET",
                    "Access-Control-Request-Headers": "authorization",
                },
            )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://app.example.cn"

    async def test_cors_exposes_the_rate_limit_fields(self, start_gateway: Any) -> None:
        async with start_gateway(cors_origins=["https://app.example.cn"]) as (app, http):
            token = app.state.signer.issue(
                subject="c", scopes=["enrollment:read"], jurisdiction=["15"]
            )
            response = await http.get(
                "/enrollment/v1/items/1",
                headers={**auth(token), "Origin": "https://app.example.cn"},
            )
        assert response.status_code == 200
        exposed = {
            h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
        }
        assert {"ratelimit", "ratelimit-policy", "retry-after"} <= exposed
        assert response.headers["ratelimit"].startswith('"api";r=')


class TestLinks:
    @pytest.mark.parametrize(
        ("link", "seen"),
        [
            (b"/v1/schools/2115060001", b"/enrollment/v1/schools/2115060001"),
            (b"/v1/programmes/x?on=2025-09-01", b"/enrollment/v1/programmes/x?on=2025-09-01"),
            (b"/enrollment/v1/schools/1", b"/enrollment/v1/schools/1"),  # already the caller's
            (b"/enrollment", b"/enrollment"),
            (b"/enrollmentx/v1", b"/enrollment/enrollmentx/v1"),  # another path, not the prefix
            (b"https://example.org/v1/x", b"https://example.org/v1/x"),
            (b"//example.org/v1/x", b"//example.org/v1/x"),
            (b"v1/x", b"v1/x"),
        ],
    )
    def test_a_services_own_path_gets_its_prefix_once(self, link: bytes, seen: bytes) -> None:
        from gateway.routing.proxy import as_seen_here

        assert as_seen_here(link, b"/enrollment") == seen
