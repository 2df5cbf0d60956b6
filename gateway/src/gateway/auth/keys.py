"""The gateway's signing key (Ed25519, or SM2 under the 国密 profile), the previous keys kept
for rotation, and the JWKS."""

import logging
import os
from pathlib import Path
from typing import Any

from gateway.settings import GatewaySettings
from junheng_kit.signing import ensure_private_key, load_public_key
from junheng_kit.tokens import TokenSigner
from junheng_kit.tokens import public_jwk as jwk_of
from junheng_kit.trust import (
    certify,
    parse_roots,
    read_certificates,
    trusted_by,
    with_certificates,
    write_certificates,
)

log = logging.getLogger("gateway.keys")


class SigningKeyMissing(RuntimeError):
    """Outside JUNHENG_ENV=dev the signing key must be provisioned, never generated."""


def load_signer(settings: GatewaySettings) -> TokenSigner:
    path = settings.signing_key_file
    options: dict[str, Any] = {
        "issuer": settings.token_issuer,
        "audience": settings.token_audience,
        "ttl_seconds": settings.token_ttl_seconds,
    }
    if not path.exists():
        if settings.environment != "dev":
            raise SigningKeyMissing(
                f"signing key {path} not found (GATEWAY_SIGNING_KEY_FILE); "
                "it is generated only with JUNHENG_ENV=dev"
            )
        signer = TokenSigner.generate(**options)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(signer.private_pem())
        log.warning("gateway.signing_key_generated", extra={"path": str(path)})
        return signer
    return TokenSigner.from_pem(path.read_bytes(), **options)


def public_jwk(path: Path) -> dict[str, Any]:
    """The JWK of a previous key, from its private or public PEM (same `kid` as TokenSigner)."""
    return jwk_of(load_public_key(path))


def jwks(signer: TokenSigner, previous: list[Path]) -> dict[str, Any]:
    """Current key first; previous keys stay until the tokens they signed have expired."""
    keys = [signer.public_jwk]
    for path in previous:
        jwk = public_jwk(path)
        if jwk["kid"] not in {k["kid"] for k in keys}:
            keys.append(jwk)
    return {"keys": keys}


class KeyNotCertified(RuntimeError):
    """A signing key without a trusted root's certificate: services would refuse its tokens."""


def published_jwks(settings: GatewaySettings, jwks_: dict[str, Any]) -> dict[str, Any]:
    """The JWKS the services read from NATS: each key with its certificate from
    GATEWAY_KEY_CERTIFICATES_FILE. In dev with GATEWAY_TRUST_ROOT_KEY_FILE (make run), keys
    without a valid certificate are certified here with that root (generated when missing).
    With JUNHENG_TRUST_ROOT_KEYS set, every key must be certified by one of those roots, or the
    gateway refuses to start (its tokens would be refused everywhere)."""
    certificates = (
        read_certificates(settings.key_certificates_file) if settings.key_certificates_file else []
    )
    roots = parse_roots(settings.trust_root_keys) if settings.trust_root_keys else {}
    if settings.environment == "dev" and settings.trust_root_key_file is not None:
        root = ensure_private_key(settings.trust_root_key_file)
        roots.setdefault(root.key_id, root.public_key)
        published = with_certificates(jwks_, certificates)
        for jwk in published["keys"]:
            if trusted_by(roots, jwk) is None:
                certificate = certify(root, jwk, days=365)
                certificates = [c for c in certificates if c.get("kid") != jwk["kid"]]
                certificates.append(certificate)
                log.warning("gateway.key_certified_in_dev", extra={"kid": jwk["kid"]})
        if settings.key_certificates_file is not None:
            write_certificates(settings.key_certificates_file, certificates)
    published = with_certificates(jwks_, certificates)
    if roots:
        uncertified = [k["kid"] for k in published["keys"] if trusted_by(roots, k) is None]
        if uncertified:
            raise KeyNotCertified(
                f"signing key(s) {', '.join(uncertified)} have no valid certificate from a "
                "root in JUNHENG_TRUST_ROOT_KEYS: python -m gateway certify-key --root-key … "
                "--key … --out <GATEWAY_KEY_CERTIFICATES_FILE>"
            )
    return published
