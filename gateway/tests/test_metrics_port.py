"""The gateway's HTTP port is public: in production /metrics is served only on
GATEWAY_METRICS_PORT (unless GATEWAY_METRICS_ON_HTTP_PORT=true), never by default."""

from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from gateway.settings import GatewaySettings
from junheng_kit.testing.plugin import auth


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return dict(response.json())


class TestSettings:
    @pytest.fixture(autouse=True)
    def _env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("JUNHENG_ENV", "prod")
        monkeypatch.setenv("GATEWAY_SECRET_KEY", "s")
        monkeypatch.setenv("JUNHENG_PSEUDONYM_KEY", "p")

    def test_production_default_serves_no_metrics_on_the_public_port(self) -> None:
        settings = GatewaySettings()
        assert settings.metrics_port is None
        assert not settings.serves_metrics_on_http_port()

    def test_environment_names(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("GATEWAY_METRICS_PORT", "9100")
        monkeypatch.setenv("GATEWAY_METRICS_HOST", "10.0.0.5")
        settings = GatewaySettings()
        assert (settings.metrics_port, settings.metrics_host) == (9100, "10.0.0.5")
        assert not settings.serves_metrics_on_http_port()
        monkeypatch.setenv("GATEWAY_METRICS_ON_HTTP_PORT", "true")
        assert GatewaySettings().serves_metrics_on_http_port()

    def test_outside_production_the_http_port_serves_them(self) -> None:
        for environment in ("dev", "test"):
            settings = GatewaySettings(environment=environment, secret_key=SecretStr("s"))
            assert settings.serves_metrics_on_http_port(), environment


class TestRoutes:
    async def test_in_production_metrics_are_on_the_internal_port_only(
        self, start_gateway: Any, production_gateway: dict[str, Any]
    ) -> None:
        async with start_gateway(
            environment="prod", metrics_port=0, metrics_host="127.0.0.1", **production_gateway
        ) as (
            app,
            http,
        ):
            token = app.state.signer.issue(
                subject="c", scopes=["enrollment:read"], jurisdiction=["15"]
            )
            forwarded = await http.get("/enrollment/v1/items/7", headers=auth(token))
            assert forwarded.status_code == 200
            public = await http.get("/metrics")
            port = app.state.metrics_listener.port
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as scrape:
                internal = await scrape.get("/metrics")
            documented = (await http.get("/openapi.json")).json()["paths"]
        body = problem(public, 404)
        assert body["status"] == 404
        assert internal.status_code == 200
        assert (
            'junheng_http_requests_total{method="GET",route="/enrollment/{path}",status="200"}'
            in internal.text
        )
        assert "/metrics" not in documented

    async def test_in_production_without_a_metrics_port_no_metrics_are_served(
        self, start_gateway: Any, production_gateway: dict[str, Any]
    ) -> None:
        async with start_gateway(environment="prod", **production_gateway) as (app, http):
            assert app.state.metrics_listener is None
            problem(await http.get("/metrics"), 404)
            assert (await http.get("/healthz")).status_code == 200

    async def test_on_the_public_port_only_when_enabled(
        self, start_gateway: Any, production_gateway: dict[str, Any]
    ) -> None:
        async with start_gateway(
            environment="prod", metrics_on_http_port=True, **production_gateway
        ) as (_, http):
            response = await http.get("/metrics")
        assert response.status_code == 200
        assert "junheng_http_requests_total" in response.text
