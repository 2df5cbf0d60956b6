"""Signing keys from NATS are trusted only with a pinned root's certificate (junheng_kit.trust):
a key someone else wrote into the bucket, an altered or expired certificate, another root's —
401, never a principal."""

import asyncio
import copy
import time
from typing import Any

import pytest

from junheng_kit.auth import TokenVerifier
from junheng_kit.problems import Unauthorized
from junheng_kit.signing import Signer
from junheng_kit.tokens import TokenSigner
from junheng_kit.trust import (
    CERT_MEMBER,
    add_certificate,
    certify,
    parse_roots,
    read_certificates,
    trusted_by,
    with_certificates,
)

ISSUER, AUDIENCE = "junheng-gateway", "junheng"
pytestmark = pytest.mark.usefixtures("crypto_profile")  # international and 国密 alike


def gateway_key() -> TokenSigner:
    return TokenSigner.generate(issuer=ISSUER, audience=AUDIENCE)


def published(signer: TokenSigner, root: Signer | None, **certify_args: Any) -> dict[str, Any]:
    jwks = signer.jwks()
    if root is None:
        return jwks
    return with_certificates(jwks, [certify(root, signer.public_jwk, **certify_args)])


def verifier(root: Signer, jwks: dict[str, Any]) -> TokenVerifier:
    async def source() -> dict[str, Any]:
        return jwks

    return TokenVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        source=source,
        trust_roots=parse_roots(root.public_key_text),
    )


def token(signer: TokenSigner) -> str:
    return signer.issue(subject="c", scopes=["enrollment:read"], jurisdiction=["15"])


class TestCertificates:
    def test_a_certified_key_is_trusted_until_its_not_after(self) -> None:
        root, key = Signer.generate(), gateway_key()
        now = 1_800_000_000
        jwk = published(key, root, days=10, now=now)["keys"][0]
        roots = parse_roots(root.public_key_text)
        trusted = trusted_by(roots, jwk, now=now)
        assert trusted is not None
        assert trusted.not_after == now + 10 * 86400
        assert trusted_by(roots, jwk, now=now + 10 * 86400 - 1) is not None
        assert trusted_by(roots, jwk, now=now + 10 * 86400) is None  # expired
        assert trusted_by(roots, jwk, now=now - 61) is None  # not yet valid (60 s of skew)

    def test_another_root_a_missing_or_an_altered_certificate_is_not_trusted(self) -> None:
        root, other, key = Signer.generate(), Signer.generate(), gateway_key()
        roots = parse_roots(root.public_key_text)
        assert trusted_by(roots, key.public_jwk) is None  # no certificate
        assert trusted_by(roots, published(key, other, days=1)["keys"][0]) is None
        good = published(key, root, days=1)["keys"][0]
        assert trusted_by(roots, good) is not None
        swapped = {**good, "x": gateway_key().public_jwk["x"]}  # a forger's key, root's cert
        assert trusted_by(roots, swapped) is None
        stretched = copy.deepcopy(good)
        stretched[CERT_MEMBER]["not_after"] += 86400 * 365
        assert trusted_by(roots, stretched) is None

    def test_roots_are_read_from_a_list_or_a_file(self, tmp_path: Any) -> None:
        first, second = Signer.generate(), Signer.generate()
        listed = parse_roots(f"{first.public_key_text}, {second.public_key_text}")
        assert set(listed) == {first.key_id, second.key_id}
        file = tmp_path / "roots"
        file.write_text(f"{first.public_key_text}\n{second.public_key_text}\n")
        assert set(parse_roots(f"@{file}")) == set(listed)

    def test_the_certificates_file_keeps_one_per_key(self, tmp_path: Any) -> None:
        root, key, other = Signer.generate(), gateway_key(), gateway_key()
        path = tmp_path / "certs.json"
        add_certificate(path, certify(root, key.public_jwk, days=1))
        add_certificate(path, certify(root, other.public_jwk, days=1))
        renewed = certify(root, key.public_jwk, days=30)
        add_certificate(path, renewed)
        stored = read_certificates(path)
        assert sorted(c["kid"] for c in stored) == sorted([key.kid, other.kid])
        assert renewed in stored


class TestVerifierWithTrustRoots:
    async def test_a_token_of_a_certified_key_verifies(self) -> None:
        root, key = Signer.generate(), gateway_key()
        principal = await verifier(root, published(key, root, days=1)).verify(token(key))
        assert principal.jurisdiction.prefixes == ("15",)

    async def test_a_key_written_into_the_bucket_without_a_certificate_is_refused(self) -> None:
        root, gateway, forger = Signer.generate(), gateway_key(), gateway_key()
        jwks = published(gateway, root, days=1)
        jwks["keys"].append(forger.public_jwk)  # what a writer of the bucket could add
        check = verifier(root, jwks)
        assert await check.verify(token(gateway))
        with pytest.raises(Unauthorized, match="unknown key"):
            await check.verify(token(forger))
        assert forger.kid not in check.kids

    async def test_a_key_certified_by_a_root_nobody_pinned_is_refused(self) -> None:
        root, rogue, key = Signer.generate(), Signer.generate(), gateway_key()
        with pytest.raises(Unauthorized, match="unknown key"):
            await verifier(root, published(key, rogue, days=1)).verify(token(key))

    async def test_a_key_whose_certificate_expired_stops_verifying_even_cached(self) -> None:
        root, key = Signer.generate(), gateway_key()
        # a one-day certificate issued a day ago, less two seconds: ends in about two seconds
        jwks = published(key, root, days=1, now=time.time() - 86400 + 2)
        ends = jwks["keys"][0][CERT_MEMBER]["not_after"]
        check = verifier(root, jwks)
        signed = token(key)  # the token itself is valid for 15 minutes
        assert await check.verify(signed)  # and now cached
        await asyncio.sleep(max(0.0, ends - time.time()) + 0.05)
        with pytest.raises(Unauthorized, match="certificate of the token's signing key"):
            await check.verify(signed)

    async def test_without_trust_roots_published_keys_are_used_as_before(self) -> None:
        key = gateway_key()

        async def source() -> dict[str, Any]:
            return key.jwks()

        check = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, source=source)
        assert await check.verify(token(key))
