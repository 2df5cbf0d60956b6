"""Signing secrets at rest: sealed with AES-256-GCM under a key derived from GATEWAY_SECRET_KEY.

The gateway must keep each subscription's secret to sign with it (it cannot hash it as it does
client secrets), so a copy of the database alone does not let anyone forge deliveries: the key
lives in the deployment's secrets, not in the database. The subscription's id is bound into
each sealed secret (associated data): a sealed value copied onto another row does not open.

Changing GATEWAY_SECRET_KEY leaves the stored secrets unreadable: their deliveries fail
(`signing secret unreadable`) until the subscriptions are made again (gateway/README.md).
"""

import os
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
PURPOSE = b"junheng gateway: webhook signing secrets v1"


class SecretUnreadable(Exception):
    """A sealed secret that this gateway's key does not open (the key changed, or the row)."""


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(
            secret_key.encode()
        )
        self._aead = AESGCM(key)

    def seal(self, subscription_id: UUID, secret: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, secret.encode(), subscription_id.bytes)

    def open(self, subscription_id: UUID, sealed: bytes) -> str:
        nonce, box = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, box, subscription_id.bytes).decode()
        except (InvalidTag, ValueError, UnicodeDecodeError) as error:
            raise SecretUnreadable(f"signing secret of {subscription_id} unreadable") from error
