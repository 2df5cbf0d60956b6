"""Ed25519 signatures for the agency data exchange (民政, 残联, 乡村振兴, 农牧 ↔ the bureau).

What is signed is either the exact bytes of a request body or the canonical JSON of an object:
`json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))` in UTF-8, so both
sides hash the same bytes whatever order the fields arrived in. Signatures and raw public keys
travel as unpadded base64url; a key id is the first 16 hex digits of sha256(raw public key).
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

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_ID_HEADER = "Junheng-Key-Id"
SIGNATURE_HEADER = "Junheng-Signature"


def canonical_json(obj: Any) -> bytes:
    """The bytes that are hashed and signed: sorted keys, no spaces, UTF-8 (not \\u escapes)."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


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


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """First 16 hex digits of sha256 of the raw 32-byte public key."""
    return sha256_hex(raw_public_key(key))[:16]


def public_key_text(key: Ed25519PublicKey) -> str:
    """A public key as configuration carries it: raw 32 bytes, base64url."""
    return b64url_encode(raw_public_key(key))


def public_key_from_text(text: str) -> Ed25519PublicKey:
    raw = b64url_decode(text.strip())
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


class Signer:
    """A private key with its key id: signs bytes or canonical JSON."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes) -> Signer:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the signing key must be Ed25519")
        return cls(key)

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def public_key_text(self) -> str:
        return public_key_text(self.public_key)

    def sign(self, data: bytes) -> str:
        return b64url_encode(self.private_key.sign(data))

    def sign_object(self, obj: Any) -> str:
        return self.sign(canonical_json(obj))


def verify(public_key: Ed25519PublicKey, data: bytes, signature: str) -> bool:
    """True only when `signature` (base64url) is `public_key`'s signature over `data`."""
    try:
        public_key.verify(b64url_decode(signature), data)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_object(public_key: Ed25519PublicKey, obj: Any, signature: str) -> bool:
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


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public key from a file: PEM (public or private) or the raw base64url text."""
    data = path.read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        key: Any
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except ValueError:
            key = serialization.load_pem_public_key(data)
        if isinstance(key, Ed25519PrivateKey):
            key = key.public_key()
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{path.name}: not an Ed25519 key")
        return key
    return public_key_from_text(data.decode())
