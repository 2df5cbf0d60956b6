"""POST /oauth/token is throttled before argon2 runs, per client id (failed attempts) and per
source address (all attempts), for two gateway replicas together."""

import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from ipaddress import ip_network
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from gateway.limits.token_throttle import source_address
from junheng_kit.problems import PROBLEM_JSON

from .conftest import Register, SettingsFactory

SECRET = "s3cret-value"
REPLICAS = 2
FORM = {"grant_type": "client_credentials"}


def verifications() -> float:
    """argon2 verifications run in this process so far (both replicas)."""
    value = REGISTRY.get_sample_value("junheng_gateway_secret_verifications_total")
    return value or 0.0


ADDRESSES = itertools.count(1)


def fresh_address() -> str:
    """An address no other test used (198.18.0.0/15, for testing): the bucket outlives tests."""
    number = next(ADDRESSES)
    return f"198.{18 + (number >> 16)}.{(number >> 8) & 0xFF}.{number & 0xFF}"


def form(client_id: str, secret: str) -> dict[str, str]:
    return {**FORM, "client_id": client_id, "client_secret": secret}


@asynccontextmanager
async def replicas(
    make_settings: SettingsFactory, peer: str | None = None, **limits: Any
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Two gateways on one nats-server and database; requests come from `peer` (by default an
    address of their own)."""
    from gateway.app import create_app

    settings = make_settings(rate_limit_sync_seconds=0.05, **limits)
    address = fresh_address()
    async with AsyncExitStack() as stack:
        clients = []
        for _ in range(REPLICAS):
            app: FastAPI = create_app(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app, client=(peer or address, 40000))
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=60)
                )
            )
        yield clients


def assert_throttled(response: httpx.Response, rule: str, policy: str) -> None:
    assert response.status_code == 429
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == 429
    assert body["errors"][0]["rule"] == rule
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert response.headers["ratelimit-policy"].startswith(f'"{policy}";')
    assert response.headers["ratelimit"] == f'"{policy}";r=0;t={retry_after}'


@pytest.fixture
async def client_id(register: Register, sqlite_url: str) -> str:
    return await register(sqlite_url, scopes=["enrollment:read"], secret=SECRET)


class TestFailedAttemptsPerClient:
    @pytest.mark.parametrize("who", ["registered", "unknown"])
    async def test_after_the_limit_a_guess_is_429_without_hashing(
        self, make_settings: SettingsFactory, client_id: str, who: str
    ) -> None:
        """Three failures a minute, over both replicas; an unknown client id is treated the
        same (the throttle does not tell which ids exist)."""
        target = client_id if who == "registered" else f"nobody-{uuid.uuid4()}"
        async with replicas(
            make_settings,
            token_failures_per_client_per_minute=3,
            token_attempts_per_address_per_minute=1000,
        ) as gateways:
            hashed_before = verifications()
            guesses = [
                await gateways[i % REPLICAS].post("/oauth/token", data=form(target, "guess"))
                for i in range(8)
            ]
            hashed = verifications() - hashed_before
            right = [
                await http.post("/oauth/token", data=form(target, SECRET)) for http in gateways
            ]
            hashed_after_right = verifications() - hashed_before
        statuses = [r.status_code for r in guesses]
        failed = statuses.count(401)
        # 3 for one limiter, at most one more per replica (6 if each replica counted alone)
        assert 3 <= failed <= 3 + REPLICAS
        assert statuses == [401] * failed + [429] * (8 - failed)
        assert hashed == failed  # argon2 ran for the 401s only
        for response in guesses[failed:]:
            assert_throttled(response, "token_failures_per_client", "token-failures")
        # the right secret waits too: the client id is locked for the window, not the guesser
        for response in right:
            assert_throttled(response, "token_failures_per_client", "token-failures")
        assert hashed_after_right == failed

    async def test_the_right_secret_does_not_count_as_a_failure(
        self, make_settings: SettingsFactory, client_id: str
    ) -> None:
        async with replicas(
            make_settings,
            token_failures_per_client_per_minute=2,
            token_attempts_per_address_per_minute=1000,
        ) as gateways:
            issued = [
                await gateways[i % REPLICAS].post("/oauth/token", data=form(client_id, SECRET))
                for i in range(5)
            ]
            guess = await gateways[0].post("/oauth/token", data=form(client_id, "guess"))
        assert [r.status_code for r in issued] == [200] * 5
        assert guess.status_code == 401
        assert issued[0].headers["ratelimit-policy"] == '"token-address";q=1000;w=60'
        assert guess.headers["ratelimit"].startswith('"token-address";r=')


class TestAttemptsPerAddress:
    async def test_one_address_over_both_replicas_is_429_and_another_is_not(
        self, make_settings: SettingsFactory, client_id: str
    ) -> None:
        limits = {
            "token_failures_per_client_per_minute": 1000,
            "token_attempts_per_address_per_minute": 4,
        }
        async with replicas(make_settings, **limits) as gateways:
            hashed_before = verifications()
            attempts = [
                await gateways[i % REPLICAS].post("/oauth/token", data=form(client_id, SECRET))
                for i in range(9)
            ]
            hashed = verifications() - hashed_before
            async with replicas(make_settings, **limits) as others:
                elsewhere = await others[0].post("/oauth/token", data=form(client_id, SECRET))
        statuses = [r.status_code for r in attempts]
        issued = statuses.count(200)
        assert 4 <= issued <= 4 + REPLICAS  # one limiter: 4; each replica alone: 8
        assert statuses == [200] * issued + [429] * (9 - issued)
        assert hashed == issued
        for response in attempts[issued:]:
            assert_throttled(response, "token_attempts_per_address", "token-address")
        assert elsewhere.status_code == 200


PROXY_LIMITS: dict[str, Any] = {
    "token_failures_per_client_per_minute": 1000,
    "token_attempts_per_address_per_minute": 2,
    "trusted_proxies": ["10.0.0.0/8"],
}


class TestTrustedProxies:
    async def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(
        self, make_settings: SettingsFactory, client_id: str
    ) -> None:
        client, other = fresh_address(), fresh_address()
        async with replicas(make_settings, peer="10.1.2.3", **PROXY_LIMITS) as gateways:
            first = [
                await gateways[i % REPLICAS].post(
                    "/oauth/token",
                    data=form(client_id, SECRET),
                    # the client's own X-Forwarded-For entry on the left proves nothing
                    headers={"X-Forwarded-For": f"192.0.2.{i}, {client}"},
                )
                for i in range(6)
            ]
            second = await gateways[0].post(
                "/oauth/token",
                data=form(client_id, SECRET),
                headers={"X-Forwarded-For": other},
            )
        statuses = [r.status_code for r in first]
        issued = statuses.count(200)
        assert 2 <= issued <= 2 + REPLICAS
        assert statuses == [200] * issued + [429] * (6 - issued)
        assert second.status_code == 200

    async def test_an_untrusted_peer_cannot_spread_itself_over_forwarded_addresses(
        self, make_settings: SettingsFactory, client_id: str
    ) -> None:
        async with replicas(make_settings, peer=fresh_address(), **PROXY_LIMITS) as gateways:
            attempts = [
                await gateways[i % REPLICAS].post(
                    "/oauth/token",
                    data=form(client_id, SECRET),
                    headers={"X-Forwarded-For": f"198.51.100.{i}"},
                )
                for i in range(6)
            ]
        statuses = [r.status_code for r in attempts]
        issued = statuses.count(200)
        assert 2 <= issued <= 2 + REPLICAS
        assert statuses == [200] * issued + [429] * (6 - issued)


TRUSTED = [ip_network("10.0.0.0/8"), ip_network("fd00::/8")]


class TestSourceAddress:
    def test_the_peer_without_trusted_proxies(self) -> None:
        assert source_address("203.0.113.7", ["198.51.100.1"], []) == "203.0.113.7"

    def test_an_untrusted_peer_cannot_name_another_address(self) -> None:
        assert source_address("203.0.113.7", ["198.51.100.1"], TRUSTED) == "203.0.113.7"

    def test_a_trusted_proxy_names_the_client(self) -> None:
        assert source_address("10.1.2.3", ["198.51.100.1"], TRUSTED) == "198.51.100.1"

    def test_entries_the_client_wrote_to_the_left_are_ignored(self) -> None:
        forwarded = ["6.6.6.6, 198.51.100.1", "10.9.9.9"]  # client's lie, client, inner proxy
        assert source_address("10.1.2.3", forwarded, TRUSTED) == "198.51.100.1"

    def test_only_proxies_in_the_chain_name_the_first_of_them(self) -> None:
        assert source_address("10.1.2.3", ["10.4.4.4, 10.5.5.5"], TRUSTED) == "10.4.4.4"

    def test_garbage_stops_at_the_last_proxy(self) -> None:
        assert source_address("10.1.2.3", ["unknown"], TRUSTED) == "10.1.2.3"

    def test_ipv6_counts_per_64_and_mapped_ipv4_as_ipv4(self) -> None:
        assert source_address("2001:db8:1:2:aaaa::1", [], []) == "2001:db8:1:2::/64"
        assert source_address("::ffff:203.0.113.7", [], []) == "203.0.113.7"
        assert source_address("fd00::5", ["2001:db8::9"], TRUSTED) == "2001:db8::/64"

    def test_no_peer(self) -> None:
        assert source_address(None, ["198.51.100.1"], TRUSTED) == "unknown"
