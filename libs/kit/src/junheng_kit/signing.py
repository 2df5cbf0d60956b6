"""Signatures for the agency data exchange (民政, 残联, 乡村振兴, 农牧 ↔ the bureau), the key
certificates and the tokens: Ed25519, or SM2 with SM3 under the 国密 profile
(junheng_kit.crypto_profile — a key of the other profile's kind is refused).

What is signed is either the exact bytes of a request body or the canonical JSON of an object:
`json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))` in UTF-8, so both
sides hash the same bytes whatever order the fields arrived in. Signatures and raw public keys
travel as unpadded base64url (Ed25519: 32 bytes; SM2: x ‖ y, 64 bytes; an SM2 signature is
r ‖ s, 64 bytes); a key id is the first 16 hex digits of sha256 (SM3 for SM2 keys) of the raw
public key.
The wire protocol is docs/agency-protocol.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from junheng_kit.crypto_profile import profile
from junheng_kit.gm import Sm2PrivateKey, Sm2PublicKey, sm3

PublicKey = Ed25519PublicKey | Sm2PublicKey
PrivateKey = Ed25519PrivateKey | Sm2PrivateKey

KEY_ID_HEADER = "Junheng-Key-Id"
SIGNATURE_HEADER = "Junheng-Signature"


# one encoder for the process: `json.dumps` with these options builds a new one per call, which
# costs more than the encoding of a ledger entry (a county's re-check hashes 200,000 of them)
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical_json(obj: Any) -> bytes:
    """The bytes that are hashed and signed: sorted keys, no spaces, UTF-8 (not \\u escapes)."""
    return _CANONICAL.encode(obj).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text: str) -> bytes:
    """Unpadded base64url; a malformed value raises ValueError."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def raw_public_key(key: PublicKey) -> bytes:
    if isinstance(key, Sm2PublicKey):
        return key.point()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: PublicKey) -> str:
    """First 16 hex digits of sha256 (SM3 for an SM2 key) of the raw public key."""
    raw = raw_public_key(key)
    return (sm3(raw).hex() if isinstance(key, Sm2PublicKey) else sha256_hex(raw))[:16]


def public_key_text(key: PublicKey) -> str:
    """A public key as configuration carries it: raw bytes, base64url."""
    return b64url_encode(raw_public_key(key))


def _of_profile(key: PublicKey) -> PublicKey:
    """The key, if it is of the kind the profile signs with; ValueError naming both if not."""
    wanted = Sm2PublicKey if profile().guomi else Ed25519PublicKey
    if not isinstance(key, wanted):
        kind = "SM2" if isinstance(key, Sm2PublicKey) else "Ed25519"
        raise ValueError(
            f"an {kind} key under the {profile().name} profile, which signs with "
            f"{'SM2' if profile().guomi else 'Ed25519'} (JUNHENG_CRYPTO_PROFILE)"
        )
    return key


def public_key_from_text(text: str) -> PublicKey:
    """Raw base64url: 32 bytes are an Ed25519 key, 64 an SM2 point (x ‖ y)."""
    raw = b64url_decode(text.strip())
    if len(raw) == 32:
        return _of_profile(Ed25519PublicKey.from_public_bytes(raw))
    if len(raw) == 64:
        return _of_profile(Sm2PublicKey.from_point(raw))
    raise ValueError("a public key is 32 bytes (Ed25519) or 64 (SM2: x ‖ y)")


def private_key_from_pem(pem: bytes) -> PrivateKey:
    """An Ed25519 or SM2 private key (PKCS #8 PEM) of the profile's kind."""
    try:
        key: Any = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):  # cryptography reads no SM2 key
        key = Sm2PrivateKey.from_pem(pem)
    if not isinstance(key, Ed25519PrivateKey | Sm2PrivateKey):
        raise ValueError("the signing key must be Ed25519 or SM2")
    _of_profile(key.public_key())
    return key


def generate_private_key() -> PrivateKey:
    """A new key of the profile's kind."""
    return Sm2PrivateKey.generate() if profile().guomi else Ed25519PrivateKey.generate()


def private_key_pem(key: PrivateKey) -> bytes:
    if isinstance(key, Sm2PrivateKey):
        return key.to_pem()
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class Signer:
    """A private key with its key id: signs bytes or canonical JSON."""

    def __init__(self, private_key: PrivateKey) -> None:
        self.private_key = private_key
        self.public_key: PublicKey = private_key.public_key()
        self.key_id = key_id(self.public_key)

    @classmethod
    def generate(cls) -> Signer:
        return cls(generate_private_key())

    @classmethod
    def from_pem(cls, pem: bytes) -> Signer:
        return cls(private_key_from_pem(pem))

    def private_pem(self) -> bytes:
        return private_key_pem(self.private_key)

    @property
    def public_key_text(self) -> str:
        return public_key_text(self.public_key)

    def sign(self, data: bytes) -> str:
        return b64url_encode(self.private_key.sign(data))

    def sign_object(self, obj: Any) -> str:
        return self.sign(canonical_json(obj))


def verify(public_key: PublicKey, data: bytes, signature: str) -> bool:
    """True only when `signature` (base64url) is `public_key`'s signature over `data`."""
    try:
        raw = b64url_decode(signature)
        if isinstance(public_key, Sm2PublicKey):
            return public_key.verify(raw, data)
        public_key.verify(raw, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_object(public_key: PublicKey, obj: Any, signature: str) -> bool:
    return verify(public_key, canonical_json(obj), signature)


def load_signer(path: Path) -> Signer:
    return Signer.from_pem(path.read_bytes())


def ensure_private_key(path: Path) -> Signer:
    """The signer in `path`, generating and writing it (mode 0600) when the file is missing.

    For development and tests only: a deployment provisions its key and loads it with
    `load_signer`, so a missing file is an error there.
    """
    if path.exists():
        return load_signer(path)
    signer = Signer.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process generated it meanwhile: use theirs
        return load_signer(path)
    with os.fdopen(descriptor, "wb") as file:
        file.write(signer.private_pem())
    return signer


def load_public_key(path: Path) -> PublicKey:
    """A public key from a file: PEM (public or private) or the raw base64url text."""
    data = path.read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        if b"PRIVATE KEY" in data:
            try:
                return private_key_from_pem(data).public_key()
            except ValueError as error:
                raise ValueError(f"{path.name}: {error}") from error
        key: Any
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            key = Sm2PublicKey.from_pem(data)
        if not isinstance(key, Ed25519PublicKey | Sm2PublicKey):
            raise ValueError(f"{path.name}: not an Ed25519 or SM2 key")
        return _of_profile(key)
    return public_key_from_text(data.decode())
