"""Token signing: Ed25519 (JWS `EdDSA`), or SM2-SM3 (`SM3withSM2`) under the 国密 profile
(junheng_kit.crypto_profile). The gateway issues; tests mint their own with a throwaway key."""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from typing import Any

import jwt

from junheng_kit.gm import Sm2PublicKey
from junheng_kit.jws_sm2 import jws_algorithm
from junheng_kit.signing import (
    PrivateKey,
    PublicKey,
    generate_private_key,
    key_id,
    private_key_from_pem,
    private_key_pem,
    raw_public_key,
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def public_jwk(public: PublicKey) -> dict[str, Any]:
    """The JWK the services verify tokens with; its kid is `junheng_kit.signing.key_id`."""
    raw = raw_public_key(public)
    jwk: dict[str, Any]
    if isinstance(public, Sm2PublicKey):
        jwk = {"kty": "EC", "crv": "SM2", "x": _b64(raw[:32]), "y": _b64(raw[32:])}
    else:
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw)}
    return {**jwk, "use": "sig", "alg": jws_algorithm(public), "kid": key_id(public)}


class TokenSigner:
    def __init__(
        self, private_key: PrivateKey, *, issuer: str, audience: str, ttl_seconds: int = 900
    ) -> None:
        self.private_key = private_key
        self.issuer, self.audience, self.ttl_seconds = issuer, audience, ttl_seconds
        self.algorithm = jws_algorithm(private_key)
        self.public_jwk = public_jwk(private_key.public_key())
        self.kid = str(self.public_jwk["kid"])

    @classmethod
    def generate(cls, **kwargs: Any) -> TokenSigner:
        """A new key of the deployment's profile."""
        return cls(generate_private_key(), **kwargs)

    @classmethod
    def from_pem(cls, pem: bytes, **kwargs: Any) -> TokenSigner:
        return cls(private_key_from_pem(pem), **kwargs)

    def private_pem(self) -> bytes:
        return private_key_pem(self.private_key)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk]}

    def issue(
        self,
        *,
        subject: str,
        scopes: Sequence[str],
        jurisdiction: Sequence[str],
        ttl_seconds: int | None = None,
        now: float | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        issued = int(now if now is not None else time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": issued,
            "nbf": issued,
            "exp": issued + (ttl_seconds or self.ttl_seconds),
            "scope": " ".join(scopes),
            "jurisdiction": list(jurisdiction),
            **(extra or {}),
        }
        key: Any = self.private_key  # an SM2 key goes to the registered SM3withSM2
        return jwt.encode(claims, key, algorithm=self.algorithm, headers={"kid": self.kid})
