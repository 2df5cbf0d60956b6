"""Token verification in every service (defence in depth behind the gateway).

Tokens are JWTs the gateway signs (Ed25519, or SM2-SM3 under the 国密 profile: the verifier
accepts only its profile's algorithm, junheng_kit.crypto_profile) with claims `sub` (client
id), `scope`
(space-separated, e.g. `enrollment:read enrollment:write`) and `jurisdiction` (GB/T 2260 code
prefixes: `15` covers Inner Mongolia, `1506` Ordos, `150602` Dongsheng).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt
from fastapi import Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2
from nats.errors import Error as NatsError
from sqlalchemy import ColumnElement, false, or_
from sqlalchemy.orm import InstrumentedAttribute

from junheng_kit.crypto_profile import profile
from junheng_kit.i18n import Text, t
from junheng_kit.jws_sm2 import sm2_public_key_of
from junheng_kit.problems import FieldError, Forbidden, Unauthorized
from junheng_kit.trust import trusted_by

log = logging.getLogger("junheng.auth")

KEYS_BUCKET = "junheng-keys"
JWKS_KEY = "jwks"
ALGORITHM = "EdDSA"

oauth2_scheme = OAuth2(
    flows=OAuthFlows(clientCredentials=OAuthFlowClientCredentials(tokenUrl="/oauth/token")),
    scheme_name="OAuth2",
    auto_error=False,
    description="OAuth2 client credentials; the gateway issues the token",
)

JwksSource = Callable[[], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """The GB/T 2260 code prefixes a caller may see; a code covers every code it prefixes."""

    prefixes: tuple[str, ...]

    def covers_code(self, code: str) -> bool:
        return any(code.startswith(p) for p in self.prefixes)

    def covers(
        self, column: InstrumentedAttribute[str] | ColumnElement[str]
    ) -> ColumnElement[bool]:
        if not self.prefixes:
            return false()
        return or_(*[column.startswith(p, autoescape=True) for p in self.prefixes])


@dataclass(frozen=True, slots=True)
class Principal:
    client_id: str
    scopes: frozenset[str]
    jurisdiction: Jurisdiction
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    def require_jurisdiction(self, code: str, *, field: str) -> None:
        if not self.jurisdiction.covers_code(code):
            raise Forbidden(
                t(
                    f"{code} 不在此客户端的管辖区域内",
                    f"{code} is outside this client's jurisdiction",
                ),
                FieldError(
                    field,
                    "jurisdiction",
                    t(
                        f"令牌的管辖区域为 {', '.join(self.jurisdiction.prefixes)}",
                        f"token covers {', '.join(self.jurisdiction.prefixes)}",
                    ),
                ),
            )


class TokenVerifier:
    """Verifies EdDSA tokens against a JWKS.

    With a `source` (the gateway's NATS KV bucket), the key set is re-read whenever a token names
    an unknown `kid` (at most once per `refresh_interval_s`) and whenever the last successful read
    is older than `max_key_age_s`, before the token is checked. A key removed from the bucket
    (a compromised key dropped at the gateway) therefore stops verifying within `max_key_age_s`
    of its removal, without a restart, and verified tokens it signed leave the cache with it.
    While the source cannot be read (NATS down), the last keys read stay in use.

    With `trust_roots` (the pinned roots, `junheng_kit.trust`), a key read from the source is
    used only when a root certifies it, and only until its certificate's `not_after`: a key
    someone else wrote into the bucket, or an expired one, verifies nothing (401). Keys given
    in `static_jwks` are pinned by configuration and need no certificate.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        static_jwks: dict[str, Any] | None = None,
        source: JwksSource | None = None,
        refresh_interval_s: float = 5.0,
        max_key_age_s: float = 30.0,
        source_timeout_s: float = 2.0,
        trust_roots: dict[str, Any] | None = None,
    ) -> None:
        self.issuer, self.audience = issuer, audience
        self.source = source
        self.refresh_interval_s = refresh_interval_s
        self.max_key_age_s = max_key_age_s
        self.source_timeout_s = source_timeout_s
        self._keys: dict[str, Any] = {}
        self._not_after: dict[str, float] = {}  # kid → end of its certificate (source keys)
        self._static = static_jwks
        self.trust_roots = trust_roots
        self._last_attempt = -math.inf  # monotonic time of the last read of the source
        self._loaded_at = -math.inf  # … and of the last one that returned a key set
        self._lock = asyncio.Lock()
        # verified tokens (with the kid that signed them) until they expire: a client reuses one
        # token for many calls
        self._verified: OrderedDict[str, tuple[Principal, str]] = OrderedDict()
        self.cache_size = 10_000
        if static_jwks:
            self._keys = _keys_of(static_jwks)

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def _stale(self) -> bool:
        return self.source is not None and time.monotonic() - self._loaded_at >= self.max_key_age_s

    async def _refresh(self) -> None:
        if self.source is None:
            return
        async with self._lock:
            throttle = min(self.refresh_interval_s, self.max_key_age_s)
            if time.monotonic() - self._last_attempt < throttle and self._keys:
                return  # read just now (by a concurrent caller, or it failed): keep these keys
            self._last_attempt = time.monotonic()
            try:
                jwks = await asyncio.wait_for(self.source(), self.source_timeout_s)
            except TimeoutError:
                jwks = None
            if jwks is None:
                log.warning("auth.jwks_unavailable", extra={"keys": sorted(self._keys)})
                return
            try:
                published, not_after = self._trusted(jwks)
                keys = {**_keys_of(self._static or {}), **published}
            except (jwt.PyJWTError, ValueError, TypeError):
                log.warning("auth.jwks_malformed", extra={"keys": sorted(self._keys)})
                return
            removed = set(self._keys) - set(keys)
            self._keys = keys
            self._not_after = not_after
            self._loaded_at = time.monotonic()
            if removed:
                log.warning("auth.keys_removed", extra={"kids": sorted(removed)})
                self._verified = OrderedDict(
                    (token, entry) for token, entry in self._verified.items() if entry[1] in keys
                )

    def _trusted(self, jwks: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
        """The published keys this verifier may use, and when each stops (with trust roots)."""
        if self.trust_roots is None:
            return _keys_of(jwks), {}
        now = time.time()
        entries, not_after, refused = [], {}, []
        for entry in jwks.get("keys", []):
            trusted = trusted_by(self.trust_roots, entry, now) if isinstance(entry, dict) else None
            if trusted is None:
                refused.append(str(entry.get("kid", "?")) if isinstance(entry, dict) else "?")
                continue
            entries.append(entry)
            not_after[trusted.kid] = trusted.not_after
        if refused:
            log.warning("auth.keys_untrusted", extra={"kids": sorted(refused)})
        return _keys_of({"keys": entries}), not_after

    def _expired(self, kid: str) -> bool:
        ends = self._not_after.get(kid)
        return ends is not None and time.time() >= ends

    async def verify(self, token: str) -> Principal:
        if self._stale():
            await self._refresh()
        cached = self._verified.get(token)
        if cached is not None:
            principal, kid = cached
            if (
                kid in self._keys
                and principal.claims["exp"] > time.time()
                and not self._expired(kid)
            ):
                return principal
            del self._verified[token]
        principal, kid = await self._verify(token)
        self._verified[token] = (principal, kid)
        if len(self._verified) > self.cache_size:
            self._verified.popitem(last=False)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _invalid(t("令牌格式错误", "malformed token")) from exc
        algorithm = profile().jws_algorithm
        if header.get("alg") != algorithm:
            raise _invalid(
                t(
                    f"不接受令牌算法 {header.get('alg')!r}:本部署的 {profile().name} 配置使用 "
                    f"{algorithm} 签名",
                    f"token algorithm {header.get('alg')!r} is not accepted: this deployment's "
                    f"{profile().name} profile signs with {algorithm}",
                )
            )
        kid = str(header.get("kid", ""))
        if kid not in self._keys:
            await self._refresh()
        key = self._keys.get(kid)
        if key is None:
            raise _invalid(
                t("令牌由未知密钥签名", "token signed by an unknown key")
            )  # or one no trusted root certifies
        if self._expired(kid):
            raise _invalid(
                t(
                    "令牌签名密钥的证书已过期",
                    "the certificate of the token's signing key has expired",
                )
            )
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise _invalid(t("令牌已过期", "token expired"), rule="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise _invalid(t(f"令牌被拒绝：{exc}", f"token rejected: {exc}")) from exc
        return principal_from_claims(claims), kid


def _keys_of(jwks: dict[str, Any]) -> dict[str, Any]:
    """The published keys of the profile's kind, by kid (others are left out)."""
    entries = [e for e in jwks.get("keys", []) if isinstance(e, dict) and "kid" in e]
    if profile().guomi:
        keys = {}
        for entry in entries:
            if entry.get("kty") == "EC" and entry.get("crv") == "SM2":
                try:
                    keys[entry["kid"]] = sm2_public_key_of(entry)
                except jwt.InvalidKeyError:
                    log.warning("auth.key_malformed", extra={"kid": entry["kid"]})
        return keys
    return {
        entry["kid"]: jwt.PyJWK(entry, algorithm=ALGORITHM).key
        for entry in entries
        if entry.get("kty") == "OKP" and entry.get("crv") == "Ed25519"
    }


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    scopes = claims.get("scope", "")
    jurisdiction = claims.get("jurisdiction", [])
    if not isinstance(scopes, str) or not isinstance(jurisdiction, list):
        raise _invalid(t("令牌声明格式错误", "token claims malformed"))
    return Principal(
        str(claims["sub"]),
        frozenset(scopes.split()),
        Jurisdiction(tuple(str(c) for c in jurisdiction)),
        claims,
    )


def _invalid(detail: Text, *, rule: str = "token_invalid") -> Unauthorized:
    return Unauthorized(
        detail,
        FieldError("authorization", rule, detail),
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return token.strip()


async def principal_for_request(request: Request) -> Principal:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized(
            t("需要 bearer 令牌", "a bearer token is required"),
            FieldError("authorization", "bearer_token_required"),
            headers={"WWW-Authenticate": "Bearer"},
        )
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier.verify(token)
    request.state.principal = principal
    return principal


def require_scopes(*scopes: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency: a verified principal holding every one of `scopes`. The scopes are declared
    in the operation's OpenAPI security requirement, so the gateway's merged document (and the
    scope matrix test) see what each route really needs."""

    declared = Security(oauth2_scheme, scopes=list(scopes))  # a default: evaluated here, once

    async def dependency(request: Request, _: str | None = declared) -> Principal:
        principal = await principal_for_request(request)
        missing = [s for s in scopes if s not in principal.scopes]
        if missing:
            raise Forbidden(
                t(
                    f"令牌缺少权限范围 {' '.join(missing)}",
                    f"token lacks scope {' '.join(missing)}",
                ),
                FieldError("scope", "scope_required", " ".join(missing)),
            )
        return principal

    return dependency


def jwks_from_text(text: str) -> dict[str, Any] | None:
    if not text:
        return None
    data = json.loads(text)
    return data if isinstance(data, dict) else None


def nats_kv_jwks_source(get_js: Callable[[], Any]) -> JwksSource:
    """Read the gateway's published JWKS from the NATS KV bucket `junheng-keys`."""

    async def source() -> dict[str, Any] | None:
        js = get_js()
        if js is None:
            return None
        try:
            kv = await js.key_value(KEYS_BUCKET)
            entry = await kv.get(JWKS_KEY)
        except (NatsError, TimeoutError):  # no bucket or no NATS: retried at the next refresh
            return None
        try:
            return jwks_from_text(entry.value.decode()) if entry.value else None
        except ValueError:  # not JSON: treated as unreadable, the last keys stay
            return None

    return source


def scopes_of(*names: str, actions: Sequence[str] = ("read", "write")) -> list[str]:
    return [f"{n}:{a}" for n in names for a in actions]
