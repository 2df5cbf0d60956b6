"""The trust root of the gateway's token-signing keys.

The services read the gateway's public keys from the NATS KV bucket `junheng-keys`; whoever can
write that bucket could otherwise slip in a key of their own and mint tokens every service
accepts. So a key is trusted only with a **certificate** from an offline root key that every
process pins (`JUNHENG_TRUST_ROOT_KEYS`): the root signs the key's JWK members and a validity
window. The root's private key stays with the operator (`python -m gateway certify-key`); the
gateway carries only the certificates of its own keys (`GATEWAY_KEY_CERTIFICATES_FILE`) and
publishes each JWK with its certificate as the member `junheng_cert`.

What is signed (Ed25519, or SM2 under the 国密 profile; canonical JSON as in
`junheng_kit.signing`): `{"kty", "crv", "x", "kid", "not_before", "not_after"}` (Unix seconds),
with `"y"` for an SM2 key. The certificate is
`{"root": <root key id>, "not_before", "not_after", "signature"}`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from junheng_kit.signing import PublicKey, Signer, key_id, public_key_from_text, verify_object

CERT_MEMBER = "junheng_cert"
SIGNED_MEMBERS = ("kty", "crv", "x", "kid")  # and "y" of an SM2 key (国密 profile)


def _signed(jwk: dict[str, Any], not_before: int, not_after: int) -> dict[str, Any]:
    return {
        **{name: jwk[name] for name in SIGNED_MEMBERS},
        **({"y": jwk["y"]} if "y" in jwk or jwk.get("crv") == "SM2" else {}),
        "not_before": not_before,
        "not_after": not_after,
    }


def certify(
    root: Signer, jwk: dict[str, Any], *, days: float, now: float | None = None
) -> dict[str, Any]:
    """The root's certificate of `jwk`, valid from now (a minute early, for clock skew) for
    `days`."""
    issued = int(now if now is not None else time.time())
    not_before, not_after = issued - 60, issued + int(days * 86400)
    return {
        "kid": jwk["kid"],
        "root": root.key_id,
        "not_before": not_before,
        "not_after": not_after,
        "signature": root.sign_object(_signed(jwk, not_before, not_after)),
    }


def parse_roots(value: str) -> dict[str, PublicKey]:
    """`JUNHENG_TRUST_ROOT_KEYS`: base64url raw public keys separated by commas or spaces, or
    `@<file>` with one per line; by key id."""
    text = value.strip()
    if text.startswith("@"):
        text = Path(text[1:]).read_text()
    keys = [public_key_from_text(part) for part in text.replace(",", " ").split() if part]
    return {key_id(key): key for key in keys}


@dataclass(frozen=True, slots=True)
class Trusted:
    """A key the roots vouch for, until `not_after` (Unix seconds)."""

    kid: str
    not_after: float


def trusted_by(
    roots: dict[str, PublicKey], jwk: dict[str, Any], now: float | None = None
) -> Trusted | None:
    """The key's trust when its certificate is a pinned root's valid signature and `now` is in
    its window; None otherwise (no certificate, another root, a forged or altered one, expired
    or not yet valid)."""
    cert = jwk.get(CERT_MEMBER)
    if not isinstance(cert, dict):
        return None
    root = roots.get(str(cert.get("root", "")))
    not_before, not_after = cert.get("not_before"), cert.get("not_after")
    if root is None or not isinstance(not_before, int) or not isinstance(not_after, int):
        return None
    if cert.get("kid") != jwk.get("kid") or not isinstance(cert.get("signature"), str):
        return None
    try:
        signed = _signed(jwk, not_before, not_after)
    except KeyError:
        return None
    if not verify_object(root, signed, cert["signature"]):
        return None
    moment = now if now is not None else time.time()
    if not not_before <= moment < not_after:
        return None
    return Trusted(str(jwk["kid"]), float(not_after))


def with_certificates(jwks: dict[str, Any], certificates: list[dict[str, Any]]) -> dict[str, Any]:
    """The JWKS with each key's certificate (by kid) attached as `junheng_cert`."""
    by_kid = {c["kid"]: c for c in certificates}
    keys = []
    for jwk in jwks.get("keys", []):
        cert = by_kid.get(jwk.get("kid"))
        keys.append({**jwk, CERT_MEMBER: cert} if cert else dict(jwk))
    return {**jwks, "keys": keys}


def read_certificates(path: Path) -> list[dict[str, Any]]:
    """A certificates file: a JSON list (missing file: none)."""
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of certificates")
    return [dict(c) for c in data]


def write_certificates(path: Path, certificates: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(certificates, indent=2, sort_keys=True) + "\n")


def add_certificate(path: Path, certificate: dict[str, Any]) -> list[dict[str, Any]]:
    """Store `certificate` in the file, replacing an older one of the same key."""
    kept = [c for c in read_certificates(path) if c.get("kid") != certificate["kid"]]
    certificates = [*kept, certificate]
    write_certificates(path, certificates)
    return certificates
