"""Token verification in every service (defence in depth behind the gateway).

Tokens are Ed25519-signed JWTs from the gateway with claims `sub` (client id), `scope`
(space-separated, e.g. `enrollment:read enrollment:write`) and `jurisdiction` (GB/T 2260 code
prefixes: `15` covers Inner Mongolia, `1506` Ordos, `150602` Dongsheng).
"""

from __future__ import annotations

import asyncio
import json
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

from junheng_kit.problems import FieldError, Forbidden, Unauthorized

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
                f"{code} is outside this client's jurisdiction",
                FieldError(
                    field, "jurisdiction", f"token covers {', '.join(self.jurisdiction.prefixes)}"
                ),
            )


class TokenVerifier:
    """Verifies EdDSA tokens against a JWKS; refreshes the key set when a `kid` is unknown."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        static_jwks: dict[str, Any] | None = None,
        source: JwksSource | None = None,
        refresh_interval_s: float = 5.0,
    ) -> None:
        self.issuer, self.audience = issuer, audience
        self.source = source
        self.refresh_interval_s = refresh_interval_s
        self._keys: dict[str, Any] = {}
        self._static = static_jwks
        self._last_refresh = 0.0
        self._lock = asyncio.Lock()
        # verified tokens until they expire: a client reuses one token for many calls
        self._verified: OrderedDict[str, Principal] = OrderedDict()
        self.cache_size = 10_000
        if static_jwks:
            self._load(static_jwks)

    def _load(self, jwks: dict[str, Any]) -> None:
        keys = dict(self._keys)
        for entry in jwks.get("keys", []):
            if entry.get("kty") == "OKP" and entry.get("crv") == "Ed25519" and "kid" in entry:
                keys[entry["kid"]] = jwt.PyJWK(entry, algorithm=ALGORITHM).key
        self._keys = keys

    async def _refresh(self) -> None:
        if self.source is None:
            return
        async with self._lock:
            if time.monotonic() - self._last_refresh < self.refresh_interval_s and self._keys:
                return
            self._last_refresh = time.monotonic()
            jwks = await self.source()
            if jwks:
                self._keys = {}
                if self._static:
                    self._load(self._static)
                self._load(jwks)

    async def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None:
            if cached.claims["exp"] > time.time():
                return cached
            del self._verified[token]
        principal = await self._verify(token)
        self._verified[token] = principal
        if len(self._verified) > self.cache_size:
            self._verified.popitem(last=False)
        return principal

    async def _verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _invalid("malformed token") from exc
        if header.get("alg") != ALGORITHM:
            raise _invalid(f"token algorithm {header.get('alg')!r} is not accepted")
        kid = str(header.get("kid", ""))
        if kid not in self._keys:
            await self._refresh()
        key = self._keys.get(kid)
        if key is None:
            raise _invalid("token signed by an unknown key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise _invalid("token expired", rule="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise _invalid(f"token rejected: {exc}") from exc
        return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    scopes = claims.get("scope", "")
    jurisdiction = claims.get("jurisdiction", [])
    if not isinstance(scopes, str) or not isinstance(jurisdiction, list):
        raise _invalid("token claims malformed")
    return Principal(
        str(claims["sub"]),
        frozenset(scopes.split()),
        Jurisdiction(tuple(str(c) for c in jurisdiction)),
        claims,
    )


def _invalid(detail: str, *, rule: str = "token_invalid") -> Unauthorized:
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
            "a bearer token is required",
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
                f"token lacks scope {' '.join(missing)}",
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
        except (NatsError, TimeoutError):  # no bucket yet: retried with the next unknown key
            return None
        return jwks_from_text(entry.value.decode()) if entry.value else None

    return source


def scopes_of(*names: str, actions: Sequence[str] = ("read", "write")) -> list[str]:
    return [f"{n}:{a}" for n in names for a in actions]
