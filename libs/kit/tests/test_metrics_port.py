"""/metrics on a port of its own (`<PREFIX>_METRICS_PORT`): served there, not on the HTTP port."""

from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from junheng_kit.app import build_service_app
from junheng_kit.settings import ServiceSettings
from junheng_kit.testing.plugin import small_service_settings


def settings(**values: Any) -> ServiceSettings:
    return small_service_settings("metered", **values)


def metered_app(**values: Any) -> Any:
    router = APIRouter()

    @router.get("/v1/ping")
    async def ping() -> dict[str, str]:
        return {"status": "pong"}

    return build_service_app(settings(**values), title="metered", description="", routers=[router])


class TestSettings:
    def test_without_a_metrics_port_metrics_stay_on_the_http_port(self) -> None:
        assert settings().serves_metrics_on_http_port()

    def test_a_metrics_port_takes_metrics_off_the_http_port(self) -> None:
        assert not settings(metrics_port=9101).serves_metrics_on_http_port()

    def test_both_when_asked(self) -> None:
        assert settings(metrics_port=9101, metrics_on_http_port=True).serves_metrics_on_http_port()

    def test_the_port_is_a_port(self) -> None:
        with pytest.raises(ValueError, match="less than or equal to 65535"):
            settings(metrics_port=70000)


class TestRoutes:
    async def test_metrics_on_their_own_port_only(self) -> None:
        app = metered_app(metrics_port=0, metrics_host="127.0.0.1")
        async with app.router.lifespan_context(app):
            port = app.state.metrics_listener.port
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
                assert (await http.get("/v1/ping")).status_code == 200
                on_http_port = await http.get("/metrics")
                assert (await http.get("/healthz")).status_code == 200  # probes stay
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as scrape:
                metrics = await scrape.get("/metrics")
                elsewhere = await scrape.get("/v1/ping")
        assert on_http_port.status_code == 404
        assert on_http_port.headers["content-type"] == "application/problem+json"
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        assert 'junheng_http_requests_total{method="GET",route="/v1/ping",status="200"}' in (
            metrics.text
        )
        assert elsewhere.status_code == 404
        assert "/metrics" not in app.openapi()["paths"]
        # the listener closes with the app
        async with httpx.AsyncClient(timeout=2) as after:
            with pytest.raises(httpx.ConnectError):
                await after.get(f"http://127.0.0.1:{port}/metrics")

    async def test_without_a_metrics_port_the_http_port_serves_them(self) -> None:
        app = metered_app()
        async with app.router.lifespan_context(app):
            assert app.state.metrics_listener is None
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
                response = await http.get("/metrics")
        assert response.status_code == 200
        assert "junheng_http_requests_total" in response.text
