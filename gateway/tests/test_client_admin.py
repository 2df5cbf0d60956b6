"""The operator's client administration (`python -m gateway change-client|remove-client|
rotate-secret`, issue 20): checked as registration is, nothing written when refused, each act
in the gateway's audit trail (read back through `GET /v1/audit` with `audit:read`), and what
the client's next token request gets."""

import argparse
import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway import cli
from gateway.auth import rules, service
from gateway.settings import GatewaySettings
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.problems import InvalidInput
from junheng_kit.testing.plugin import auth
from junheng_kit.timeutil import utcnow

from .conftest import gateway_cli

FORM = {"grant_type": "client_credentials"}


async def registered(
    database_url: str, purpose: str | None = None, *, purpose_required: bool = False
) -> dict[str, Any]:
    """Registered as `register-client` does (its code, in this process: quicker)."""
    args = argparse.Namespace(
        name="东胜区教育局",
        scopes="enrollment:read",
        jurisdiction="150602",
        client_id=None,
        secret=None,
        purpose=purpose,
        purpose_required=purpose_required,
    )
    return await cli.register_client(operator(database_url), args)


def operator(database_url: str) -> GatewaySettings:
    return cli.OperatorSettings(database_url=database_url, environment="test")


async def token_for(http: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    return await http.post(
        "/oauth/token", data={**FORM, "client_id": client_id, "client_secret": secret}
    )


def claims(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    payload = answer.json()["access_token"].split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


async def client_acts(app: FastAPI, http: httpx.AsyncClient, client_id: str) -> list[Any]:
    """The operator's acts on one client, oldest first, as an auditor of the region reads them."""
    auditor = app.state.signer.issue(subject="auditor", scopes=["audit:read"], jurisdiction=["15"])
    answer = await http.get(
        "/v1/audit",
        params={"kind": "client", "client_id": "operator:cli", "limit": 500},
        headers=auth(auditor),
    )
    assert answer.status_code == 200, answer.text
    return [
        (e["purpose"], e["action"], e["outcome"], e["county_code"], e["record_ids"])
        for e in reversed(answer.json()["items"])
        if e["record_ids"][:1] == [client_id]
    ]


async def listed(database_url: str, client_id: str) -> dict[str, Any]:
    """The client as `list-clients` shows it."""
    return next(
        c for c in await cli.list_clients(operator(database_url)) if c["client_id"] == client_id
    )


class TestChangeClient:
    async def test_a_change_is_audited_and_the_next_token_carries_it(
        self, start_gateway: Any, database_url: str
    ) -> None:
        client = await registered(database_url, "学籍核对")
        code, out, err = await gateway_cli(
            database_url,
            "change-client",
            client["client_id"],
            "--scopes",
            "staffing:read,enrollment:read",
            "--jurisdiction",
            "150603",
            "--purpose-required",
        )
        assert code == 0, err
        changed = json.loads(out)
        assert changed["changed"] == ["scopes", "jurisdiction", "purpose_required"]
        shown = await listed(database_url, client["client_id"])
        assert (shown["scopes"], shown["jurisdiction"]) == (
            ["enrollment:read", "staffing:read"],
            ["150603"],
        )
        assert (shown["purpose"], shown["purpose_required"], shown["disabled"]) == (
            "学籍核对",
            True,
            False,
        )
        async with start_gateway(database_url=database_url) as (app, http):
            issued = claims(await token_for(http, client["client_id"], client["client_secret"]))
            acts = await client_acts(app, http, client["client_id"])
        assert (issued["scope"], issued["purpose"], issued["purpose_required"]) == (
            "enrollment:read staffing:read",
            "学籍核对",
            True,
        )
        assert acts == [
            ("register-client", "admin", "ok", "150602", [client["client_id"]]),
            (
                "change-client",
                "admin",
                "ok",
                "",  # moved from one county to another: every auditor of the gateway sees it
                [
                    client["client_id"],
                    "scopes=enrollment:read staffing:read",
                    "jurisdiction=150603",
                    "purpose_required=true",
                ],
            ),
        ]

    async def test_the_purpose_is_cleared_or_replaced_and_named_never_shown(
        self, start_gateway: Any, sqlite_url: str
    ) -> None:
        client = await registered(sqlite_url, "学籍核对", purpose_required=True)
        cleared = await gateway_cli(
            sqlite_url, "change-client", client["client_id"], "--no-purpose"
        )
        assert cleared[0] == 0, cleared[2]
        replaced = await gateway_cli(
            sqlite_url,
            "change-client",
            client["client_id"],
            "--purpose",
            "资助复核",
            "--no-purpose-required",
        )
        assert replaced[0] == 0, replaced[2]
        same = await gateway_cli(
            sqlite_url, "change-client", client["client_id"], "--purpose", "资助复核"
        )
        assert json.loads(same[1])["changed"] == []  # the same value: no change, no act
        async with start_gateway(database_url=sqlite_url) as (app, http):
            issued = claims(await token_for(http, client["client_id"], client["client_secret"]))
            acts = await client_acts(app, http, client["client_id"])
        assert issued["purpose"] == "资助复核"
        assert "purpose_required" not in issued
        assert [a[4][1:] for a in acts] == [
            [],
            ["purpose"],
            ["purpose", "purpose_required=false"],
        ]

    @pytest.mark.parametrize(
        ("options", "named"),
        [
            (["--scopes", "enrollment:admin"], "scope_known"),
            (["--scopes", ""], "scope_known"),
            (["--jurisdiction", "15060"], "division_code_format"),
            (["--scopes", "staffing:read", "--jurisdiction", "1506x"], "division_code_format"),
            (["--purpose", " "], "purpose_format"),
            (["--grace-seconds", "5"], "unrecognized arguments"),
            (["--purpose", "x", "--no-purpose"], "not allowed with argument"),
            ([], "nothing to change"),
        ],
    )
    async def test_a_refused_change_exits_non_zero_and_writes_nothing(
        self, start_gateway: Any, sqlite_url: str, options: list[str], named: str
    ) -> None:
        client = await registered(sqlite_url)
        code, out, err = await gateway_cli(
            sqlite_url, "change-client", client["client_id"], *options
        )
        assert code == 2
        assert named in err
        assert out == ""
        shown = await listed(sqlite_url, client["client_id"])
        assert (shown["scopes"], shown["jurisdiction"], shown["purpose_required"]) == (
            ["enrollment:read"],
            ["150602"],
            False,
        )
        async with start_gateway(database_url=sqlite_url) as (app, http):
            assert [a[0] for a in await client_acts(app, http, client["client_id"])] == [
                "register-client"
            ]

    async def test_an_unknown_client_is_named(self, sqlite_url: str) -> None:
        code, _, err = await gateway_cli(
            sqlite_url, "change-client", "c-nobody", "--scopes", "enrollment:read"
        )
        assert code == 2
        assert "client_known" in err


class TestRemoveClient:
    async def test_a_removed_client_gets_no_token_but_one_issued_before_lives_out_its_ttl(
        self, start_gateway: Any, database_url: str
    ) -> None:
        client = await registered(database_url)
        async with start_gateway(database_url=database_url) as (_, http):
            before = await token_for(http, client["client_id"], client["client_secret"])
        assert before.status_code == 200
        code, out, err = await gateway_cli(database_url, "remove-client", client["client_id"])
        assert code == 0, err
        assert json.loads(out)["disabled"] is True
        async with start_gateway(database_url=database_url) as (app, http):
            refused = await token_for(http, client["client_id"], client["client_secret"])
            unknown = await token_for(http, "c-nobody", client["client_secret"])
            still = await http.post(
                "/enrollment/v1/echo",
                content=b"ok",
                headers=auth(before.json()["access_token"]),
            )
            acts = await client_acts(app, http, client["client_id"])
        assert (refused.status_code, refused.json()) == (
            unknown.status_code,
            {**unknown.json(), "instance": refused.json()["instance"]},
        )  # told apart from an unknown client by nothing
        assert refused.status_code == 401
        assert still.status_code == 201
        assert acts[1:] == [
            ("remove-client", "admin", "ok", "150602", [client["client_id"], "disabled=true"])
        ]
        assert (await listed(database_url, client["client_id"]))["disabled"] is True
        again = await gateway_cli(database_url, "remove-client", client["client_id"])
        assert (again[0], "client_active" in again[2]) == (2, True)
        rotated = await gateway_cli(database_url, "rotate-secret", client["client_id"])
        assert (rotated[0], "client_active" in rotated[2]) == (2, True)


class TestRotateSecret:
    async def test_without_grace_only_the_new_secret_works_at_once(
        self, start_gateway: Any, database_url: str
    ) -> None:
        client = await registered(database_url)
        code, out, err = await gateway_cli(database_url, "rotate-secret", client["client_id"])
        assert code == 0, err
        rotated = json.loads(out)
        assert rotated["previous_secret_until"] is None
        assert len(rotated["client_secret"]) >= 32
        assert rotated["client_secret"] != client["client_secret"]
        async with start_gateway(database_url=database_url) as (app, http):
            old = await token_for(http, client["client_id"], client["client_secret"])
            new = await token_for(http, client["client_id"], rotated["client_secret"])
            acts = await client_acts(app, http, client["client_id"])
            auditor = app.state.signer.issue(
                subject="auditor", scopes=["audit:read"], jurisdiction=["15"]
            )
            export = await http.get("/v1/audit/export", headers=auth(auditor))
        assert (old.status_code, new.status_code) == (401, 200)
        assert acts[1:] == [
            (
                "rotate-secret",
                "admin",
                "ok",
                "150602",
                [client["client_id"], "secret", "grace_seconds=0"],
            )
        ]
        assert export.status_code == 200
        assert rotated["client_secret"] not in export.text
        assert client["client_secret"] not in export.text

    async def test_within_the_grace_period_both_secrets_work_then_only_the_new_one(
        self, start_gateway: Any, sqlite_url: str, tmp_path: Any
    ) -> None:
        client = await registered(sqlite_url)
        credentials = tmp_path / "client.json"
        code, out, err = await gateway_cli(
            sqlite_url,
            "rotate-secret",
            client["client_id"],
            "--grace-seconds",
            "3600",
            "--json-out",
            str(credentials),
        )
        assert code == 0, err
        rotated = json.loads(out)
        assert json.loads(credentials.read_text()) == rotated
        assert credentials.stat().st_mode & 0o777 == 0o600
        until = datetime.fromisoformat(rotated["previous_secret_until"])
        assert timedelta(seconds=3500) < until - utcnow() <= timedelta(seconds=3600)
        assert (await listed(sqlite_url, client["client_id"]))["previous_secret_until"] == (
            rotated["previous_secret_until"]
        )
        async with start_gateway(database_url=sqlite_url) as (app, http):
            old = await token_for(http, client["client_id"], client["client_secret"])
            new = await token_for(http, client["client_id"], rotated["client_secret"])
            assert (old.status_code, new.status_code) == (200, 200)
            # rotated again, a minute's grace that ended a second ago (the clock moved on): the
            # secret before is refused now, and the first one was dropped by this rotation
            engine = create_engine(sqlite_url)
            async with create_sessionmaker(engine)() as session:
                latest = await service.rotate_secret(
                    session,
                    client_id=client["client_id"],
                    grace_seconds=60,
                    now=utcnow() - timedelta(seconds=61),
                )
                await session.commit()
            await engine.dispose()
            answers = [
                await token_for(http, client["client_id"], secret)
                for secret in (
                    client["client_secret"],
                    rotated["client_secret"],
                    latest.client_secret,
                )
            ]
            acts = await client_acts(app, http, client["client_id"])
        assert [a.status_code for a in answers] == [401, 401, 200]
        assert acts[1][4][1:] == ["secret", "grace_seconds=3600"]

    @pytest.mark.parametrize("seconds", ["-1", "604801"])
    async def test_a_grace_period_outside_zero_to_a_week_is_refused(
        self, sqlite_url: str, seconds: str
    ) -> None:
        client = await registered(sqlite_url)
        code, out, err = await gateway_cli(
            sqlite_url, "rotate-secret", client["client_id"], "--grace-seconds", seconds
        )
        assert (code, out) == (2, "")
        assert "grace_seconds_range" in err


class TestRules:
    def test_the_grace_period_is_zero_to_a_week_inclusive(self) -> None:
        assert [rules.checked_grace_seconds(s) for s in (0, 604800)] == [0, 604800]
        for wrong in (-1, 604801):
            with pytest.raises(InvalidInput) as refused:
                rules.checked_grace_seconds(wrong)
            assert refused.value.errors[0].rule == "grace_seconds_range"

    def test_the_previous_secret_works_before_the_grace_period_ends_not_at_its_end(self) -> None:
        until = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
        assert rules.previous_secret_accepted(until, until - timedelta(microseconds=1)) is True
        assert rules.previous_secret_accepted(until, until) is False
        assert rules.previous_secret_accepted(None, until) is False
