"""Settings from the environment and the signing key at start-up."""

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from gateway.app import create_app
from gateway.auth.keys import SigningKeyMissing
from gateway.settings import GatewaySettings


class TestSettings:
    def test_environment_names(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("JUNHENG_ENV", "test")
        monkeypatch.setenv("GATEWAY_SECRET_KEY", "s")
        monkeypatch.setenv("JUNHENG_PSEUDONYM_KEY", "p")
        monkeypatch.setenv("JUNHENG_GATEWAY_PORT", "8080")
        monkeypatch.setenv("GATEWAY_CORS_ORIGINS", "https://a.example.cn, https://b.example.cn")
        monkeypatch.setenv("GATEWAY_RATE_LIMIT_PER_SECOND", "50")
        settings = GatewaySettings()
        assert settings.http_port == 8080
        assert settings.cors_origins == ["https://a.example.cn", "https://b.example.cn"]
        assert settings.rate_limit_per_second == 50
        assert settings.services == ["enrollment", "staffing", "assistance", "evaluation"]
        assert settings.max_body_bytes == 256 * 1024 * 1024

    def test_rate_limit_and_token_throttle_names(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("JUNHENG_ENV", "test")
        monkeypatch.setenv("GATEWAY_SECRET_KEY", "s")
        monkeypatch.setenv("JUNHENG_PSEUDONYM_KEY", "p")
        monkeypatch.setenv("GATEWAY_RATE_LIMIT_SYNC_SECONDS", "0.25")
        monkeypatch.setenv("GATEWAY_TOKEN_FAILURES_PER_CLIENT_PER_MINUTE", "5")
        monkeypatch.setenv("GATEWAY_TOKEN_ATTEMPTS_PER_ADDRESS_PER_MINUTE", "20")
        monkeypatch.setenv("GATEWAY_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7 fd00::/8")
        settings = GatewaySettings()
        assert settings.rate_limit_sync_seconds == 0.25
        assert settings.token_failures_per_client_per_minute == 5
        assert settings.token_attempts_per_address_per_minute == 20
        assert [str(n) for n in settings.trusted_proxies] == [
            "10.0.0.0/8",
            "192.168.1.7/32",
            "fd00::/8",
        ]

    def test_defaults_of_the_limits(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("JUNHENG_ENV", "test")
        monkeypatch.setenv("GATEWAY_SECRET_KEY", "s")
        monkeypatch.setenv("JUNHENG_PSEUDONYM_KEY", "p")
        settings = GatewaySettings()
        assert (settings.rate_limit_per_second, settings.rate_limit_burst) == (200, 400)
        assert settings.rate_limit_sync_seconds == 0.1
        assert settings.token_failures_per_client_per_minute == 10
        assert settings.token_attempts_per_address_per_minute == 30
        assert settings.trusted_proxies == []

    def test_the_dev_secret_is_refused_outside_dev(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("JUNHENG_ENV", "prod")
        monkeypatch.delenv("GATEWAY_SECRET_KEY", raising=False)
        with pytest.raises(ValueError, match="secret_key"):
            GatewaySettings()


class TestSigningKey:
    async def test_a_missing_key_outside_dev_stops_start_up(
        self, make_settings: Any, tmp_path: Path
    ) -> None:
        app = create_app(make_settings(signing_key_file=tmp_path / "absent.pem"))
        with pytest.raises(SigningKeyMissing):
            async with app.router.lifespan_context(app):
                pass

    async def test_in_dev_a_missing_key_is_generated_once(
        self, make_settings: Any, tmp_path: Path
    ) -> None:
        path = tmp_path / "var" / "key.pem"
        settings = make_settings(
            signing_key_file=path, environment="dev", secret_key=SecretStr("dev-only-change-me")
        )
        kids = []
        for _ in range(2):
            app = create_app(settings)
            async with app.router.lifespan_context(app):
                kids.append(app.state.signer.kid)
        assert path.stat().st_mode & 0o777 == 0o600
        assert kids[0] == kids[1]
