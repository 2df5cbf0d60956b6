"""`/v1/webhooks` through the gateway's own app, on SQLite and PostgreSQL: subscribing (the
secret shown once, stored sealed), a client's own subscriptions only, and every refusal as a
problem naming the field and the rule."""

import base64
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from gateway.webhooks.models import WebhookSubscription
from junheng_kit.db import create_engine, create_sessionmaker

from .conftest import register_client

LOOPBACK = ["127.0.0.0/8"]
PUBLIC = "https://203.0.113.7/in"  # never reached: each refusal comes before the address check
ADMISSIONS = "enrollment.admission.confirmed"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_for(app: FastAPI, client_id: str, *scopes: str, jurisdiction: str = "150602") -> str:
    return str(
        app.state.signer.issue(subject=client_id, scopes=scopes, jurisdiction=[jurisdiction])
    )


def problem(response: httpx.Response, status: int) -> list[tuple[str, str]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [(e["field"], e["rule"]) for e in response.json()["errors"]]


@pytest.fixture
async def dongsheng(database_url: str) -> str:
    return await register_client(
        database_url, jurisdiction=["150602"], scopes=["enrollment:read", "staffing:write"]
    )


class TestSubscribing:
    async def test_answers_201_with_the_secret_once_and_stores_it_sealed(
        self, start_gateway: Any, database_url: str, dongsheng: str
    ) -> None:
        async with start_gateway(database_url=database_url, webhook_allowed_networks=LOOPBACK) as (
            app,
            http,
        ):
            token = token_for(app, dongsheng, "enrollment:read")
            created = await http.post(
                "/v1/webhooks",
                json={
                    "url": "http://127.0.0.1:9/junheng",
                    "event_types": [ADMISSIONS, ADMISSIONS],
                    "description": "家长端录取通知",
                },
                headers=auth(token),
            )
            assert created.status_code == 201, created.text
            body = created.json()
            assert created.headers["location"] == f"/v1/webhooks/{body['id']}"
            assert body["event_types"] == [ADMISSIONS]
            assert body["jurisdiction"] == ["150602"]  # the token's
            assert body["enabled"] is True
            secret = body.pop("secret")
            assert secret.startswith("whsec_")
            assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
            read = await http.get(f"/v1/webhooks/{body['id']}", headers=auth(token))
            assert read.json() == body  # never the secret again
            listed = await http.get("/v1/webhooks", headers=auth(token))
            assert body in listed.json()["items"]
            assert "secret" not in listed.text
        engine = create_engine(database_url)
        async with create_sessionmaker(engine)() as session:
            sealed = await session.scalar(
                select(WebhookSubscription.sealed_secret).where(
                    WebhookSubscription.id == UUID(body["id"])
                )
            )
        await engine.dispose()
        assert sealed is not None
        assert secret.encode() not in sealed
        assert base64.b64decode(secret.removeprefix("whsec_")) not in sealed

    async def test_a_client_sees_and_deletes_only_its_own(
        self, start_gateway: Any, database_url: str, dongsheng: str
    ) -> None:
        other = await register_client(
            database_url, jurisdiction=["150602"], scopes=["enrollment:read"]
        )
        async with start_gateway(database_url=database_url, webhook_allowed_networks=LOOPBACK) as (
            app,
            http,
        ):
            mine, theirs = (
                auth(token_for(app, dongsheng, "enrollment:read")),
                auth(token_for(app, other, "enrollment:read")),
            )
            created = await http.post(
                "/v1/webhooks",
                json={"url": "http://127.0.0.1:9/a", "event_types": [ADMISSIONS]},
                headers=mine,
            )
            path = f"/v1/webhooks/{created.json()['id']}"
            assert problem(await http.get(path, headers=theirs), 404) == []
            assert problem(await http.delete(path, headers=theirs), 404) == []
            assert problem(await http.get(f"{path}/deliveries", headers=theirs), 404) == []
            listed = await http.get("/v1/webhooks", headers=theirs)
            assert created.json()["id"] not in [w["id"] for w in listed.json()["items"]]
            assert (await http.delete(path, headers=mine)).status_code == 204
            assert problem(await http.get(path, headers=mine), 404) == []

    async def test_the_list_pages_with_a_cursor(
        self, start_gateway: Any, database_url: str
    ) -> None:
        client = await register_client(
            database_url, jurisdiction=["150602"], scopes=["enrollment:read"]
        )
        async with start_gateway(database_url=database_url, webhook_allowed_networks=LOOPBACK) as (
            app,
            http,
        ):
            headers = auth(token_for(app, client, "enrollment:read"))
            made = [
                (
                    await http.post(
                        "/v1/webhooks",
                        json={"url": f"http://127.0.0.1:9/{n}", "event_types": [ADMISSIONS]},
                        headers=headers,
                    )
                ).json()["id"]
                for n in range(3)
            ]
            first = (await http.get("/v1/webhooks?limit=2", headers=headers)).json()
            rest = await http.get(
                f"/v1/webhooks?limit=2&cursor={first['next_cursor']}", headers=headers
            )
        assert [w["id"] for w in first["items"]] + [w["id"] for w in rest.json()["items"]] == made
        assert rest.json()["next_cursor"] is None


class TestRefusals:
    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            (
                {"url": "http://127.0.0.1:9/in", "event_types": [ADMISSIONS]},
                [("url", "webhook_public_address")],
            ),
            (
                {"url": "http://[::ffff:169.254.169.254]/latest", "event_types": [ADMISSIONS]},
                [("url", "webhook_public_address")],
            ),
            (
                {"url": "http://localhost:9/in", "event_types": [ADMISSIONS]},
                [("url", "webhook_public_address")],
            ),
            (
                {"url": "http://hooks.junheng.invalid/in", "event_types": [ADMISSIONS]},
                [("url", "webhook_host_resolves")],
            ),
            (
                {"url": PUBLIC, "event_types": [ADMISSIONS, "enrollment.x"]},
                [("event_types.1", "event_type_known")],
            ),
            ({"url": PUBLIC, "event_types": []}, [("event_types", "event_types_required")]),
            (
                {"url": PUBLIC, "events": [ADMISSIONS], "event_types": [ADMISSIONS]},
                [("events", "extra_forbidden")],
            ),
        ],
    )
    async def test_bad_input_is_422_naming_the_field(
        self,
        start_gateway: Any,
        database_url: str,
        dongsheng: str,
        body: dict[str, Any],
        expected: list[tuple[str, str]],
    ) -> None:
        async with start_gateway(database_url=database_url, webhook_timeout_seconds=2) as (
            app,
            http,
        ):
            token = token_for(app, dongsheng, "enrollment:read")
            response = await http.post("/v1/webhooks", json=body, headers=auth(token))
        assert problem(response, 422) == expected

    async def test_plain_http_is_422_in_production(
        self, start_gateway: Any, production_gateway: dict[str, Any], database_url: str
    ) -> None:
        client = await register_client(
            database_url, jurisdiction=["150602"], scopes=["enrollment:read"]
        )
        async with start_gateway(
            environment="prod", database_url=database_url, **production_gateway
        ) as (app, http):
            response = await http.post(
                "/v1/webhooks",
                json={"url": "http://hooks.example.org/in", "event_types": [ADMISSIONS]},
                headers=auth(token_for(app, client, "enrollment:read")),
            )
        assert problem(response, 422) == [("url", "webhook_https")]

    async def test_an_event_type_whose_producer_the_token_cannot_read_is_403_naming_it(
        self, start_gateway: Any, database_url: str, dongsheng: str
    ) -> None:
        async with start_gateway(database_url=database_url) as (app, http):
            response = await http.post(
                "/v1/webhooks",
                json={"url": PUBLIC, "event_types": ["staffing.teacher.moved"]},
                headers=auth(token_for(app, dongsheng, "enrollment:read", "staffing:write")),
            )
        assert problem(response, 403) == [("event_types.0", "scope_required")]
        assert response.json()["errors"][0]["message"] == "staffing:read"

    async def test_no_token_is_401_and_no_read_scope_403(
        self, start_gateway: Any, database_url: str, dongsheng: str
    ) -> None:
        async with start_gateway(database_url=database_url) as (app, http):
            anonymous = await http.get("/v1/webhooks")
            writer = await http.get(
                "/v1/webhooks", headers=auth(token_for(app, dongsheng, "staffing:write"))
            )
        assert problem(anonymous, 401) == [("authorization", "bearer_token_required")]
        assert problem(writer, 403) == [("scope", "scope_required")]

    async def test_a_token_of_an_unregistered_client_subscribes_nothing(
        self, start_gateway: Any, database_url: str
    ) -> None:
        async with start_gateway(database_url=database_url, webhook_allowed_networks=LOOPBACK) as (
            app,
            http,
        ):
            response = await http.post(
                "/v1/webhooks",
                json={"url": "http://127.0.0.1:9/in", "event_types": [ADMISSIONS]},
                headers=auth(token_for(app, "nobody-registered", "enrollment:read")),
            )
        assert problem(response, 403) == [("authorization", "client_active")]


class TestDocumented:
    async def test_the_merged_openapi_lists_the_webhook_operations_with_read_scopes(
        self, gateway: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        _, http = gateway
        paths = (await http.get("/openapi.json")).json()["paths"]
        create = paths["/v1/webhooks"]["post"]
        assert create["operationId"] == "createWebhook"
        assert {"OAuth2": ["enrollment:read"]} in create["security"]
        assert "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver" in paths
        assert "/asyncapi.json" not in paths

    async def test_asyncapi_is_served_beside_openapi_with_an_etag(
        self, gateway: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        _, http = gateway
        response = await http.get("/asyncapi.json", headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200
        document = response.json()
        assert document["asyncapi"] == "3.0.0"
        assert document["channels"]["enrollment-admission-confirmed"]["address"] == ADMISSIONS
        etag = response.headers["etag"]
        assert etag.startswith('W/"')
        again = await http.get("/asyncapi.json", headers={"If-None-Match": etag})
        assert (again.status_code, again.content) == (304, b"")
        zipped = await http.get("/asyncapi.json", headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.json() == document  # httpx decodes it
        assert zipped.headers["etag"] == etag
