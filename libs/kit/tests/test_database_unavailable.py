"""A database that cannot be reached is a 503 problem the client may retry, never a 500 (issue 8
§2: restarting PostgreSQL under writes answered 500, and 502 through the gateway)."""

import json

import httpx
import pytest
from asyncpg.exceptions import CannotConnectNowError
from fastapi import APIRouter, FastAPI
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from junheng_kit.app import build_service_app
from junheng_kit.bridge import call_asgi
from junheng_kit.db import SessionDep, is_database_unavailable
from junheng_kit.processes import free_port
from junheng_kit.testing.plugin import TokenFactory, small_service_settings


def app_on(database_url: str, jwks: str) -> FastAPI:
    router = APIRouter()

    @router.post("/v1/notes", status_code=201)
    async def add_note(session: SessionDep) -> dict[str, int]:
        return {"one": int((await session.execute(text("SELECT 1"))).scalar_one())}

    @router.get("/v1/broken")
    async def broken() -> dict[str, str]:
        raise RuntimeError("a bug, not an outage")

    settings = small_service_settings("notes", database_url, jwks_json=jwks)
    return build_service_app(settings, title="notes", description="", routers=[router])


@pytest.fixture
def down(jwks_json: str, token: TokenFactory) -> tuple[FastAPI, str]:
    """An app whose PostgreSQL refuses connections (nothing listens on the port)."""
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing"
    return app_on(url, jwks_json), token("notes:write")


async def post(app: FastAPI, token: str, **headers: str) -> httpx.Response:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://notes") as http:
            return await http.post(
                "/v1/notes", headers={"Authorization": f"Bearer {token}", **headers}
            )


class TestDatabaseDown:
    async def test_a_write_is_refused_with_503_and_retry_after(
        self, down: tuple[FastAPI, str]
    ) -> None:
        response = await post(*down)
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "1"
        assert response.json()["type"] == "urn:junheng:problem:service-unavailable"

    async def test_an_idempotent_write_is_refused_with_503_too(
        self, down: tuple[FastAPI, str]
    ) -> None:
        # the Idempotency-Key lookup runs before the endpoint, in the middleware
        response = await post(*down, **{"Idempotency-Key": "k-1"})
        assert response.status_code == 503

    async def test_through_the_bridge_the_caller_gets_the_503_not_a_502(
        self, down: tuple[FastAPI, str]
    ) -> None:
        app, token = down
        async with app.router.lifespan_context(app):
            status, headers, body = await call_asgi(
                app,
                method="POST",
                path="/v1/notes",
                query="",
                headers=[("authorization", f"Bearer {token}")],
                body=b"",
            )
        assert status == 503
        assert dict(headers)["retry-after"] == "1"
        assert json.loads(body)["status"] == 503

    async def test_a_bug_is_still_a_500(self, down: tuple[FastAPI, str]) -> None:
        app, _ = down
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://notes") as http:
                response = await http.get("/v1/broken")
        assert response.status_code == 500


class TestIsDatabaseUnavailable:
    def test_outages_are_recognised(self) -> None:
        refused = ConnectionRefusedError(111, "Connect call failed")
        invalidated = sa_exc.OperationalError("SELECT 1", {}, OSError("gone"))
        invalidated.connection_invalidated = True
        wrapped = sa_exc.DBAPIError("SELECT 1", {}, CannotConnectNowError("starting up"))
        for error in (refused, invalidated, wrapped, sa_exc.TimeoutError("pool exhausted")):
            assert is_database_unavailable(error), error

    def test_bad_requests_and_bugs_are_not(self) -> None:
        duplicate = sa_exc.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
        deep = RuntimeError("an agency call failed")
        deep.__context__ = ConnectionRefusedError(111, "refused")  # not the database's
        for error in (duplicate, ValueError("bad"), deep):
            assert not is_database_unavailable(error), error
