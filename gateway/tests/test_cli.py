"""`python -m gateway register-client` / `list-clients`, then a token for that client."""

import json
from pathlib import Path
from typing import Any

import pytest

from junheng_kit.testing.plugin import auth

from .conftest import gateway_cli as _cli

SERVING_ONLY = ("GATEWAY_SECRET_KEY", "JUNHENG_PSEUDONYM_KEY", "JUNHENG_NATS_URL")


class TestRegisterClient:
    async def test_a_registered_client_gets_a_token_and_is_listed(
        self, start_gateway: Any, database_url: str, tmp_path: Path
    ) -> None:
        out_file = tmp_path / "demo-client.json"
        code, out, err = await _cli(
            database_url,
            "register-client",
            "--name",
            "东胜区教育局",
            "--scopes",
            "enrollment:read enrollment:write",
            "--jurisdiction",
            "150602",
            "--json-out",
            str(out_file),
        )
        assert code == 0, err
        credentials = json.loads(out_file.read_text())
        assert json.loads(out) == credentials
        assert set(credentials) == {"client_id", "client_secret", "scopes", "jurisdiction"}
        assert credentials["scopes"] == ["enrollment:read", "enrollment:write"]
        assert credentials["jurisdiction"] == ["150602"]
        assert out_file.stat().st_mode & 0o777 == 0o600

        async with start_gateway(database_url=database_url) as (_, http):
            token = await http.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": credentials["client_id"],
                    "client_secret": credentials["client_secret"],
                },
            )
            assert token.status_code == 200
            echoed = await http.post(
                "/enrollment/v1/echo", content=b"ok", headers=auth(token.json()["access_token"])
            )
        assert echoed.status_code == 201

        code, out, _ = await _cli(database_url, "list-clients")
        listed = {c["client_id"]: c for c in json.loads(out)}
        assert listed[credentials["client_id"]]["name"] == "东胜区教育局"
        assert "client_secret" not in listed[credentials["client_id"]]
        assert "secret_hash" not in listed[credentials["client_id"]]

    @pytest.mark.parametrize(
        ("scopes", "jurisdiction"),
        [
            ("enrollment:admin", "150602"),
            ("evaluation:pii", "150602"),  # evaluation holds no personal data: no pii scope
            ("enrollment:read", "15060"),
            ("", "150602"),
        ],
    )
    async def test_unknown_scopes_or_malformed_codes_are_refused(
        self, database_url: str, scopes: str, jurisdiction: str
    ) -> None:
        code, _, err = await _cli(
            database_url,
            "register-client",
            "--name",
            "x",
            "--scopes",
            scopes,
            "--jurisdiction",
            jurisdiction,
        )
        assert code == 2
        assert "register-client:" in err

    async def test_an_operator_registers_a_client_in_production_with_the_database_alone(
        self, start_gateway: Any, database_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """README: register-client works outside JUNHENG_ENV=dev against the configured
        database — no signing secret, pseudonym key or NATS identity needed; the secret is
        printed once (list-clients never shows it)."""
        for name in SERVING_ONLY:
            monkeypatch.delenv(name, raising=False)
        prod = {"JUNHENG_ENV": "prod"}
        code, out, err = await _cli(
            database_url,
            "register-client",
            "--name",
            "鄂尔多斯市教育局",
            "--scopes",
            "enrollment:read",
            "--jurisdiction",
            "1506",
            environment=prod,
        )
        assert code == 0, err
        credentials = json.loads(out)
        assert len(credentials["client_secret"]) >= 32
        async with start_gateway(database_url=database_url) as (_, http):
            token = await http.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": credentials["client_id"],
                    "client_secret": credentials["client_secret"],
                },
            )
        assert token.status_code == 200, token.text
        code, out, err = await _cli(database_url, "list-clients", environment=prod)
        assert code == 0, err
        assert credentials["client_secret"] not in out
        assert credentials["client_id"] in out

    async def test_serving_outside_dev_still_refuses_the_dev_secrets(
        self, database_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for name in SERVING_ONLY:
            monkeypatch.delenv(name, raising=False)
        code, _, err = await _cli(database_url, "openapi", environment={"JUNHENG_ENV": "prod"})
        assert code == 2
        assert "dev default outside JUNHENG_ENV=dev" in err
