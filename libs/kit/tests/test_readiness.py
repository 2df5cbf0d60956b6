"""/readyz runs named checks: database and NATS built in, more added by name; a failed check
answers 503, a degraded one 200 (the replica keeps its traffic), the JSON only gains keys."""

from typing import Any

import httpx
from fastapi import FastAPI

from junheng_kit.app import build_service_app
from junheng_kit.readiness import Readiness, readiness_checks
from junheng_kit.testing.plugin import small_service_settings


def checked_app(**checks: Any) -> FastAPI:
    app = build_service_app(
        small_service_settings("checked"), title="checked", description="", routers=[]
    )
    readiness_checks(app).update(checks)
    return app


async def readyz(app: FastAPI) -> tuple[int, Any]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
            response = await http.get("/readyz")
    return response.status_code, response.json()


async def degraded(app: FastAPI) -> Readiness:
    return Readiness("degraded", {"evaluation-seats": 3})


async def failed(app: FastAPI) -> Readiness:
    return Readiness("failed", "failed: stream unavailable")


async def raises(app: FastAPI) -> Readiness:
    raise RuntimeError("a check with a bug")


class TestReadyz:
    async def test_without_nats_only_the_database_is_checked(self) -> None:
        assert await readyz(checked_app()) == (
            200,
            {"status": "ready", "checks": {"database": "ok"}},
        )

    async def test_a_degraded_check_answers_200_with_its_detail(self) -> None:
        assert await readyz(checked_app(dead_letters=degraded)) == (
            200,
            {
                "status": "degraded",
                "checks": {"database": "ok", "dead_letters": {"evaluation-seats": 3}},
            },
        )

    async def test_an_added_failed_check_answers_503_beside_the_others(self) -> None:
        assert await readyz(checked_app(dead_letters=degraded, jetstream=failed)) == (
            503,
            {
                "status": "not-ready",
                "checks": {
                    "database": "ok",
                    "dead_letters": {"evaluation-seats": 3},
                    "jetstream": "failed: stream unavailable",
                },
            },
        )

    async def test_a_check_that_raises_fails_by_its_exception_name(self) -> None:
        assert await readyz(checked_app(jetstream=raises)) == (
            503,
            {
                "status": "not-ready",
                "checks": {"database": "ok", "jetstream": "failed: RuntimeError"},
            },
        )
