"""Use-cases: register a client, authenticate one, issue its token. Callers commit."""

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth import rules
from gateway.auth.models import CLIENT_ID_UNIQUE, Client
from gateway.auth.repository import ClientRepository
from junheng_kit.i18n import t
from junheng_kit.problems import Conflict, FieldError, Unauthorized
from junheng_kit.tokens import TokenSigner

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) defaults
SECRET_VERIFICATIONS = Counter(
    "junheng_gateway_secret_verifications_total",
    "Client secrets checked with argon2 (~0.35 s of CPU each; unknown clients' decoys included)",
)


class InvalidClient(Unauthorized):
    slug, title = "invalid-client", t("客户端认证失败", "Client authentication failed")


@dataclass(frozen=True, slots=True)
class Registered:
    client_id: str
    client_secret: str
    name: str
    scopes: list[str]
    jurisdiction: list[str]


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scopes: list[str]


@cache
def _decoy_hash() -> str:
    """Unknown clients still pay for one verification, so timing does not reveal client ids."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(secret_hash: str, secret: str) -> bool:
    SECRET_VERIFICATIONS.inc()
    try:
        return _hasher.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


async def register_client(
    session: AsyncSession,
    *,
    name: str,
    scopes: Sequence[str],
    jurisdiction: Sequence[str],
    services: Sequence[str],
    client_id: str | None = None,
    secret: str | None = None,
    purpose: str | None = None,
) -> Registered:
    """Register an API client; the secret is shown once and stored only as an argon2 hash."""
    checked_scopes = rules.validate_scopes(scopes, services)
    checked_jurisdiction = rules.validate_jurisdiction(jurisdiction)
    checked_purpose = rules.checked_purpose(purpose)
    repository = ClientRepository(session)
    client_id = client_id or f"c-{secrets.token_hex(8)}"
    if await repository.find(client_id) is not None:
        raise Conflict(
            t(f"客户端 {client_id} 已存在", f"client {client_id} exists"), CLIENT_ID_UNIQUE
        )
    secret = secret or secrets.token_urlsafe(32)
    secret_hash = await asyncio.to_thread(_hasher.hash, secret)
    repository.add(
        Client(
            client_id=client_id,
            name=name,
            secret_hash=secret_hash,
            scopes=checked_scopes,
            jurisdiction=checked_jurisdiction,
            disabled=False,
            purpose=checked_purpose,
        )
    )
    await session.flush()
    return Registered(client_id, secret, name, checked_scopes, checked_jurisdiction)


async def authenticate(session: AsyncSession, *, client_id: str, secret: str) -> Client:
    client = await ClientRepository(session).find(client_id) if client_id else None
    secret_hash = client.secret_hash if client is not None else _decoy_hash()
    matches = await asyncio.to_thread(_verify, secret_hash, secret)  # argon2 is slow by design
    if client is None or client.disabled or not matches:
        raise InvalidClient(
            t("客户端认证失败", "client authentication failed"),
            FieldError("client_id", "invalid_client"),
            headers={"WWW-Authenticate": 'Basic realm="junheng"'},
        )
    return client


def issue_token(
    client: Client, signer: TokenSigner, *, requested_scope: str | None, ttl_seconds: int
) -> IssuedToken:
    scopes = rules.granted_scopes(requested_scope, client.scopes)
    token = signer.issue(
        subject=client.client_id,
        scopes=scopes,
        jurisdiction=client.jurisdiction,
        ttl_seconds=ttl_seconds,
        extra={"purpose": client.purpose} if client.purpose else None,
    )
    return IssuedToken(token, ttl_seconds, scopes)
