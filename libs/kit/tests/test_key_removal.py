"""A signing key dropped from the gateway's JWKS stops verifying in the services without a restart.

Services read the JWKS the gateway puts in the NATS KV bucket `junheng-keys`. They re-read it when
a token names an unknown `kid` and whenever their copy is older than `jwks_max_age_seconds`
(JUNHENG_JWKS_MAX_AGE_SECONDS, 30 s by default), so a compromised key removed at the gateway is
refused everywhere within that bound, including tokens already verified and cached. A real
nats-server (the plugin's) holds the bucket; the bound is shortened to one second here.
"""

import asyncio
import json
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends

from junheng_kit.app import build_service_app
from junheng_kit.auth import (
    JWKS_KEY,
    KEYS_BUCKET,
    Principal,
    TokenVerifier,
    nats_kv_jwks_source,
    require_scopes,
)
from junheng_kit.messaging.connection import connect, ensure_buckets
from junheng_kit.problems import Unauthorized
from junheng_kit.settings import ServiceSettings
from junheng_kit.testing.plugin import auth, small_service_settings
from junheng_kit.tokens import TokenSigner

BOUND = 1.0  # seconds: jwks_max_age_seconds in these tests


def make_signer() -> TokenSigner:
    return TokenSigner.generate(issuer="junheng-gateway", audience="junheng")


def issue(signer: TokenSigner) -> str:
    return signer.issue(subject="c-1", scopes=["enrollment:read"], jurisdiction=["150602"])


async def publish(js: Any, *signers: TokenSigner) -> None:
    """What the gateway does at start-up: its current and previous keys into the bucket."""
    store = await js.key_value(KEYS_BUCKET)
    jwks = {"keys": [s.public_jwk for s in signers]}
    await store.put(JWKS_KEY, json.dumps(jwks).encode())


@pytest.fixture
async def bucket(js: Any) -> Any:
    await ensure_buckets(js)
    return js


def kv_verifier(js: Any) -> TokenVerifier:
    return TokenVerifier(
        issuer="junheng-gateway",
        audience="junheng",
        source=nats_kv_jwks_source(lambda: js),
        max_key_age_s=BOUND,
    )


class TestTokenVerifier:
    async def test_a_cached_token_of_a_removed_key_is_refused_once_the_bound_has_passed(
        self, bucket: Any
    ) -> None:
        compromised, kept = make_signer(), make_signer()
        await publish(bucket, kept, compromised)
        verifier = kv_verifier(bucket)
        bad_token, good_token = issue(compromised), issue(kept)
        assert (await verifier.verify(bad_token)).client_id == "c-1"  # verified, now cached
        assert (await verifier.verify(good_token)).client_id == "c-1"

        await publish(bucket, kept)  # the gateway restarted without the compromised key
        await asyncio.sleep(BOUND)

        with pytest.raises(Unauthorized, match="token signed by an unknown key"):
            await verifier.verify(bad_token)
        assert (await verifier.verify(good_token)).client_id == "c-1"
        assert verifier.kids == {kept.kid}
        # a fresh token of the removed key is refused as well
        with pytest.raises(Unauthorized, match="unknown key"):
            await verifier.verify(issue(compromised))

    async def test_within_the_bound_the_bucket_is_not_read_again_for_known_keys(
        self, bucket: Any
    ) -> None:
        """The bound is what keeps the bucket out of every request's path: one read, then the
        copy is used until it is `max_key_age_s` old."""
        signer = make_signer()
        await publish(bucket, signer)
        reads = 0
        source = nats_kv_jwks_source(lambda: bucket)

        async def counting_source() -> dict[str, Any] | None:
            nonlocal reads
            reads += 1
            return await source()

        verifier = TokenVerifier(
            issuer="junheng-gateway", audience="junheng", source=counting_source, max_key_age_s=60
        )
        for _ in range(20):
            await verifier.verify(issue(signer))
        assert reads == 1

    async def test_a_key_added_back_is_accepted_again(self, bucket: Any) -> None:
        signer, other = make_signer(), make_signer()
        await publish(bucket, signer, other)
        verifier = kv_verifier(bucket)
        token = issue(signer)
        await verifier.verify(token)
        await publish(bucket, other)
        await asyncio.sleep(BOUND)
        with pytest.raises(Unauthorized):
            await verifier.verify(token)
        await publish(bucket, other, signer)
        await asyncio.sleep(verifier.refresh_interval_s)  # unknown kids re-read at most this often
        assert (await verifier.verify(token)).client_id == "c-1"

    async def test_while_nats_is_unreachable_the_last_keys_read_stay_in_use(
        self, bucket: Any, nats_url: str
    ) -> None:
        """A service cut off from NATS cannot learn of a removal; it keeps the keys it read
        (refusing every token would stop direct calls for an outage it cannot see the end of)."""
        signer = make_signer()
        await publish(bucket, signer)
        nc = await connect(nats_url, "test-key-source")
        js = nc.jetstream()
        verifier = TokenVerifier(
            issuer="junheng-gateway",
            audience="junheng",
            source=nats_kv_jwks_source(lambda: js if nc.is_connected else None),
            max_key_age_s=BOUND,
        )
        token = issue(signer)
        await verifier.verify(token)
        await nc.close()
        await asyncio.sleep(BOUND)
        assert (await verifier.verify(token)).client_id == "c-1"
        assert verifier.kids == {signer.kid}


def app_reading_the_bucket(database_url: str, nats_url: str) -> Any:
    router = APIRouter()

    @router.get("/v1/whoami")
    async def whoami(
        principal: Annotated[Principal, Depends(require_scopes("enrollment:read"))],
    ) -> dict[str, str]:
        return {"client_id": principal.client_id}

    settings = small_service_settings(
        "keys", database_url, nats_url=nats_url, jwks_max_age_seconds=BOUND
    )
    return build_service_app(settings, title="keys", description="", routers=[router])


class TestServiceApp:
    async def test_a_running_service_refuses_a_removed_key_without_a_restart(
        self, bucket: Any, database_url: str, nats_url: str
    ) -> None:
        """On SQLite and PostgreSQL: the app's own lifespan (NATS, relay, bridge) and its
        settings (JUNHENG_JWKS_MAX_AGE_SECONDS) wire the verifier to the bucket."""
        compromised, kept = make_signer(), make_signer()
        await publish(bucket, compromised, kept)
        app = app_reading_the_bucket(database_url, nats_url)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
                bad_token, good_token = issue(compromised), issue(kept)
                assert (await http.get("/v1/whoami", headers=auth(bad_token))).status_code == 200
                assert (await http.get("/v1/whoami", headers=auth(good_token))).status_code == 200

                await publish(bucket, kept)
                await asyncio.sleep(BOUND)

                refused = await http.get("/v1/whoami", headers=auth(bad_token))
                accepted = await http.get("/v1/whoami", headers=auth(good_token))
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["detail"] == "令牌由未知密钥签名"
        assert refused.json()["errors"][0] == {
            "field": "authorization",
            "rule": "token_invalid",
            "message": "令牌由未知密钥签名",
        }
        assert accepted.json() == {"client_id": "c-1"}


class TestSetting:
    def test_the_bound_is_30_seconds_unless_set(self, monkeypatch: pytest.MonkeyPatch) -> None:
        assert ServiceSettings(environment="dev").jwks_max_age_seconds == 30
        monkeypatch.setenv("JUNHENG_JWKS_MAX_AGE_SECONDS", "10")
        assert ServiceSettings(environment="dev").jwks_max_age_seconds == 10
        assert ServiceSettings.env_name("jwks_max_age_seconds") == "JUNHENG_JWKS_MAX_AGE_SECONDS"
