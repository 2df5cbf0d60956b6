"""Ed25519 token signing (the gateway issues; tests mint their own with a throwaway key)."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Sequence
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from junheng_kit.auth import ALGORITHM


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class TokenSigner:
    def __init__(
        self, private_key: Ed25519PrivateKey, *, issuer: str, audience: str, ttl_seconds: int = 900
    ) -> None:
        self.private_key = private_key
        self.issuer, self.audience, self.ttl_seconds = issuer, audience, ttl_seconds
        raw = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.public_jwk = {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64(raw),
            "use": "sig",
            "alg": ALGORITHM,
            "kid": hashlib.sha256(raw).hexdigest()[:16],
        }
        self.kid = str(self.public_jwk["kid"])

    @classmethod
    def generate(cls, **kwargs: Any) -> TokenSigner:
        return cls(Ed25519PrivateKey.generate(), **kwargs)

    @classmethod
    def from_pem(cls, pem: bytes, **kwargs: Any) -> TokenSigner:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("signing key must be Ed25519")
        return cls(key, **kwargs)

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

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
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM, headers={"kid": self.kid})
