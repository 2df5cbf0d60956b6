"""Rotating the gateway's signing key without downtime (docs/runbook.md, "Rotate the signing key").

The keys are made with the runbook's own openssl commands. Three rollouts, each a restart of the
gateway with other settings, overlapping replicas as in a rolling update:

1. publish the new key before it signs (GATEWAY_PREVIOUS_KEY_FILES=new public key);
2. sign with the new key, keep the old one published (SIGNING=new, PREVIOUS=old public key);
3. after the token lifetime, drop the old key (PREVIOUS empty).

Services verify tokens with the JWKS the gateway puts in the `junheng-keys` KV bucket.
"""

import subprocess
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from junheng_kit.auth import TokenVerifier, nats_kv_jwks_source
from junheng_kit.messaging.connection import connect
from junheng_kit.problems import Unauthorized
from junheng_kit.testing.plugin import auth
from junheng_kit.tokens import TokenSigner

SECRET = "rotation-secret-value"


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    """old.pem signs today; new.pem is the next key; *.pub.pem their public halves."""
    files = {name: tmp_path / f"{name}.pem" for name in ("old", "new")}
    for name, path in list(files.items()):
        openssl("genpkey", "-algorithm", "ed25519", "-out", str(path))
        public = tmp_path / f"{name}.pub.pem"
        openssl("pkey", "-in", str(path), "-pubout", "-out", str(public))
        files[f"{name}.pub"] = public
    return files


def kid(path: Path) -> str:
    return TokenSigner.from_pem(path.read_bytes(), issuer="junheng-gateway", audience="junheng").kid


async def token_from(http: httpx.AsyncClient, client_id: str) -> str:
    response = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": SECRET},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def call(http: httpx.AsyncClient, token: str) -> int:
    return (await http.post("/enrollment/v1/echo", content=b"x", headers=auth(token))).status_code


def signed_by(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


async def service_verifies(nats_url: str, token: str) -> bool:
    """A service's verifier, fresh (as after a restart), reading the JWKS from the KV bucket."""
    nc = await connect(nats_url, "test-rotation-service")
    try:
        js = nc.jetstream()
        verifier = TokenVerifier(
            issuer="junheng-gateway", audience="junheng", source=nats_kv_jwks_source(lambda: js)
        )
        try:
            await verifier.verify(token)
        except Unauthorized:
            return False
        return True
    finally:
        await nc.close()


class TestSigningKeyRotation:
    async def test_old_tokens_keep_working_while_the_new_key_signs_and_stop_once_it_is_dropped(
        self,
        start_gateway: Any,
        register: Any,
        database_url: str,
        keys: dict[str, Path],
        nats_url: str,
    ) -> None:
        """On SQLite and PostgreSQL: the token endpoint reads the client from the database."""
        client_id = await register(database_url, scopes=["enrollment:read"], secret=SECRET)
        db = {"database_url": database_url}
        old, new = kid(keys["old"]), kid(keys["new"])

        async with start_gateway(signing_key_file=keys["old"], **db) as (_, before):
            old_token = await token_from(before, client_id)
        assert signed_by(old_token) == old

        # 1. the new key is published (and accepted) but does not sign yet
        async with start_gateway(
            signing_key_file=keys["old"], previous_key_files=[keys["new.pub"]], **db
        ) as (_, step1):
            jwks = (await step1.get("/.well-known/jwks.json")).json()
            assert [k["kid"] for k in jwks["keys"]] == [old, new]
            assert signed_by(await token_from(step1, client_id)) == old

            # 2. rolling update: a replica signing with the new key runs beside a step-1 replica
            async with start_gateway(
                signing_key_file=keys["new"], previous_key_files=[keys["old.pub"]], **db
            ) as (_, step2):
                new_token = await token_from(step2, client_id)
                assert signed_by(new_token) == new
                assert await call(step1, new_token) == 201  # a step-1 replica accepts it
                assert await call(step2, old_token) == 201  # and a step-2 one the old token
                assert await call(step2, new_token) == 201
                jwks = (await step2.get("/.well-known/jwks.json")).json()
                assert [k["kid"] for k in jwks["keys"]] == [new, old]
        assert await service_verifies(nats_url, old_token)
        assert await service_verifies(nats_url, new_token)

        # 3. after the token lifetime: the old key is dropped everywhere
        async with start_gateway(signing_key_file=keys["new"], **db) as (_, step3):
            assert [
                k["kid"] for k in (await step3.get("/.well-known/jwks.json")).json()["keys"]
            ] == [new]
            refused = await step3.post("/enrollment/v1/echo", content=b"x", headers=auth(old_token))
            assert await call(step3, new_token) == 201
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["rule"] == "token_invalid"
        assert refused.json()["detail"] == "令牌由未知密钥签名"
        assert not await service_verifies(nats_url, old_token)
        assert await service_verifies(nats_url, new_token)

    async def test_skipping_step_1_refuses_new_tokens_at_replicas_not_yet_updated(
        self, start_gateway: Any, register: Any, sqlite_url: str, keys: dict[str, Path]
    ) -> None:
        """Why step 1 exists: a replica that only knows the old key refuses the new tokens."""
        client_id = await register(sqlite_url, scopes=["enrollment:read"], secret=SECRET)
        async with (
            start_gateway(signing_key_file=keys["old"]) as (_, not_updated),
            start_gateway(signing_key_file=keys["new"], previous_key_files=[keys["old.pub"]]) as (
                _,
                updated,
            ),
        ):
            new_token = await token_from(updated, client_id)
            assert await call(updated, new_token) == 201
            assert await call(not_updated, new_token) == 401
