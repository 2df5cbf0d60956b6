"""The deployment's cryptographic profile: international (default) or 国密 (商用密码).

`JUNHENG_CRYPTO_PROFILE` — the same value in every process of a deployment:

| | `international` | `guomi` |
|---|---|---|
| signatures (tokens, certificates, agencies) | Ed25519 (JWS `EdDSA`) | SM2-SM3 (`SM3withSM2`) |
| key ids | SHA-256 of the raw public key | SM3 of the raw public key |
| hashes (`digest`), keyed hashes (`mac`) | SHA-256, HMAC-SHA-256 | SM3, HMAC-SM3 |
| authenticated encryption (`seal`) | AES-256-GCM | SM4-GCM |

JOSE has no registered identifier for SM2; `SM3withSM2` is the signature algorithm's name as
GM/T 0006 and the Java providers spell it, and a 国密 JWK is `{"kty": "EC", "crv": "SM2", "x",
"y"}`. Under one profile the other's keys and tokens are refused (a token signed `EdDSA` is 401
under `guomi`), so a deployment switches all at once: docs/deploy.md, "国密 profile".
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import cache
from typing import Literal

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from junheng_kit import gm

ENV = "JUNHENG_CRYPTO_PROFILE"
ProfileName = Literal["international", "guomi"]
PROFILES: tuple[ProfileName, ...] = ("international", "guomi")
NONCE_BYTES = 12


@dataclass(frozen=True, slots=True)
class Profile:
    name: ProfileName
    jws_algorithm: str
    hash_name: str
    key_bytes: int  # of the symmetric cipher

    @property
    def guomi(self) -> bool:
        return self.name == "guomi"

    def digest(self, data: bytes) -> bytes:
        return gm.sm3(data) if self.guomi else hashlib.sha256(data).digest()

    def mac(self, key: bytes, data: bytes) -> bytes:
        return gm.hmac_sm3(key, data) if self.guomi else hmac.digest(key, data, "sha256")

    def seal(self, key: bytes, plaintext: bytes, associated: bytes = b"") -> bytes:
        """nonce (12) ‖ ciphertext ‖ tag (16), a fresh random nonce per value."""
        if self.guomi:
            return gm.sm4_gcm_encrypt(key, plaintext, associated)
        nonce = os.urandom(NONCE_BYTES)
        return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)

    def open(self, key: bytes, sealed: bytes, associated: bytes = b"") -> bytes:
        """The plaintext of `seal`; cryptography's InvalidTag when anything was altered."""
        if self.guomi:
            return gm.sm4_gcm_decrypt(key, sealed, associated)
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated)


INTERNATIONAL = Profile("international", "EdDSA", "sha256", 32)
GUOMI = Profile("guomi", "SM3withSM2", "sm3", gm.SM4_KEY_BYTES)


HASHES = ("sha256", "sm3")


def hash_named(algorithm: str, data: bytes) -> bytes:
    """`data` hashed with a named algorithm (`sha256` or `sm3`, both 32 bytes): what a record
    names when it outlives the profile that wrote it (a hash chain's entries)."""
    if algorithm == "sha256":
        return hashlib.sha256(data).digest()
    if algorithm == "sm3":
        return gm.sm3(data)
    raise ValueError(f"unknown hash algorithm {algorithm!r} (one of {', '.join(HASHES)})")


class ProfileUnavailable(RuntimeError):
    pass


def named(name: str) -> Profile:
    if name == "international":
        return INTERNATIONAL
    if name == "guomi":
        missing = gm.sm2_available()
        if missing is not None:
            raise ProfileUnavailable(f"{ENV}=guomi needs SM2 in the system's OpenSSL: {missing}")
        return GUOMI
    raise ProfileUnavailable(f"{ENV} must be one of {', '.join(PROFILES)}, not {name!r}")


@cache
def profile() -> Profile:
    """This process's profile, read once from the environment."""
    return named(os.environ.get(ENV, "international").strip() or "international")
