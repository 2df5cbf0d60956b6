"""The gateway publishes each signing key with its certificate from the offline trust root; with
a pinned root it refuses to start on a key nobody certified (its tokens would be refused by
every service). `certify-key` is the operator's step; in dev the gateway certifies itself."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gateway.auth.keys import KeyNotCertified
from junheng_kit.auth import JWKS_KEY, KEYS_BUCKET, TokenVerifier
from junheng_kit.signing import Signer
from junheng_kit.tokens import TokenSigner
from junheng_kit.trust import CERT_MEMBER, parse_roots, read_certificates


def gateway_cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", *args], check=True, capture_output=True, text=True
    )
    return done.stdout


async def bucket_jwks(js: Any) -> dict[str, Any]:
    return dict(json.loads((await (await js.key_value(KEYS_BUCKET)).get(JWKS_KEY)).value))


async def services_verify(jwks: dict[str, Any], root_public: str, token: str) -> bool:
    async def source() -> dict[str, Any]:
        return jwks

    verifier = TokenVerifier(
        issuer="junheng-gateway",
        audience="junheng",
        source=source,
        trust_roots=parse_roots(root_public),
    )
    try:
        await verifier.verify(token)
    except Exception:  # noqa: BLE001 - refused
        return False
    return True


async def test_the_operator_certifies_the_key_and_services_trust_what_the_gateway_publishes(
    start_gateway: Any, tmp_path: Path, signing_key_file: Path, js: Any
) -> None:
    root_file, certificates = tmp_path / "root.pem", tmp_path / "certificates.json"
    root_public = gateway_cli("trust-root", "--out", str(root_file)).strip()
    assert gateway_cli("trust-root", "--out", str(root_file)).strip() == root_public  # kept
    gateway_cli(
        "certify-key",
        "--root-key",
        str(root_file),
        "--key",
        str(signing_key_file),
        "--days",
        "30",
        "--out",
        str(certificates),
    )
    [certificate] = read_certificates(certificates)
    async with start_gateway(trust_root_keys=root_public, key_certificates_file=certificates) as (
        app,
        _,
    ):
        published = await bucket_jwks(js)
        token = app.state.signer.issue(subject="c", scopes=["enrollment:read"], jurisdiction=["15"])
    [key] = published["keys"]
    assert key[CERT_MEMBER] == certificate
    assert await services_verify(published, root_public, token)
    # the same bucket content, checked against another root: nothing verifies
    assert not await services_verify(published, Signer.generate().public_key_text, token)


async def test_a_pinned_root_and_an_uncertified_key_refuse_to_start(
    start_gateway: Any, tmp_path: Path
) -> None:
    root = Signer.generate()
    with pytest.raises(KeyNotCertified, match="no valid certificate"):
        async with start_gateway(
            trust_root_keys=root.public_key_text,
            key_certificates_file=tmp_path / "none-yet.json",
        ):
            pass


async def test_in_dev_the_gateway_certifies_its_keys_with_the_local_root(
    start_gateway: Any, tmp_path: Path, js: Any
) -> None:
    root_file, certificates = tmp_path / "root.pem", tmp_path / "certificates.json"
    key_file = tmp_path / "signing.pem"
    key_file.write_bytes(TokenSigner.generate(issuer="i", audience="a").private_pem())
    async with start_gateway(
        environment="dev",
        signing_key_file=key_file,
        trust_root_key_file=root_file,
        key_certificates_file=certificates,
    ) as (app, _):
        published = await bucket_jwks(js)
        token = app.state.signer.issue(subject="c", scopes=["enrollment:read"], jurisdiction=["15"])
    root_public = Signer.from_pem(root_file.read_bytes()).public_key_text
    assert await services_verify(published, root_public, token)
    assert [c["kid"] for c in read_certificates(certificates)] == [app.state.signer.kid]
