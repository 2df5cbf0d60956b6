"""Use-cases: register, change, remove a client or rotate its secret (the operator's CLI);
authenticate one and issue its token. Callers commit."""

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth import rules
from gateway.auth.models import CLIENT_ID_UNIQUE, Client
from gateway.auth.repository import ClientRepository
from junheng_kit.audit.http import PURPOSE_REQUIRED_CLAIM
from junheng_kit.i18n import t
from junheng_kit.problems import Conflict, FieldError, InvalidInput, NotFound, Unauthorized
from junheng_kit.timeutil import utcnow
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
class Changed:
    client: Client
    fields: list[str]  # the fields that changed, in a fixed order; empty: nothing did
    previous_jurisdiction: list[str]


@dataclass(frozen=True, slots=True)
class Rotated:
    client: Client
    client_secret: str  # shown once
    previous_secret_until: datetime | None  # None: the previous secret stopped working now


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
    purpose_required: bool = False,
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
            purpose_required=purpose_required,
        )
    )
    await session.flush()
    return Registered(client_id, secret, name, checked_scopes, checked_jurisdiction)


async def _active(session: AsyncSession, client_id: str) -> Client:
    """The client an operator acts on, locked until the caller commits; a removed one is 409."""
    client = await ClientRepository(session).lock(client_id)
    if client is None:
        raise NotFound(
            t(f"客户端 {client_id} 不存在", f"client {client_id} not found"),
            FieldError("client_id", "client_known", client_id),
        )
    if client.disabled:
        raise Conflict(
            t(f"客户端 {client_id} 已被移除", f"client {client_id} was removed"),
            FieldError("client_id", "client_active", client_id),
        )
    return client


async def change_client(
    session: AsyncSession,
    *,
    client_id: str,
    services: Sequence[str],
    scopes: Sequence[str] | None = None,
    jurisdiction: Sequence[str] | None = None,
    purpose: str | None = None,
    clear_purpose: bool = False,
    purpose_required: bool | None = None,
) -> Changed:
    """Change what a client may do, checked as at registration; tokens already issued keep
    their claims until they expire. Everything is checked before anything changes."""
    if purpose is not None and clear_purpose:
        raise InvalidInput(
            t("不能同时设置和清除用途", "set the purpose or clear it, not both"),
            FieldError("purpose", "purpose_or_no_purpose"),
        )
    new_scopes = rules.validate_scopes(scopes, services) if scopes is not None else None
    new_jurisdiction = (
        rules.validate_jurisdiction(jurisdiction) if jurisdiction is not None else None
    )
    new_purpose = None if clear_purpose else rules.checked_purpose(purpose)
    client = await _active(session, client_id)
    previous_jurisdiction = list(client.jurisdiction)
    fields: list[str] = []
    if new_scopes is not None and new_scopes != sorted(client.scopes):
        client.scopes = new_scopes
        fields.append("scopes")
    if new_jurisdiction is not None and new_jurisdiction != sorted(client.jurisdiction):
        client.jurisdiction = new_jurisdiction
        fields.append("jurisdiction")
    if (purpose is not None or clear_purpose) and new_purpose != client.purpose:
        client.purpose = new_purpose
        fields.append("purpose")
    if purpose_required is not None and purpose_required != client.purpose_required:
        client.purpose_required = purpose_required
        fields.append("purpose_required")
    await session.flush()
    return Changed(client, fields, previous_jurisdiction)


async def remove_client(session: AsyncSession, *, client_id: str) -> Client:
    """The client obtains no more tokens (kept, disabled, for the audit trail's sake); tokens
    already issued live until they expire."""
    client = await _active(session, client_id)
    client.disabled = True
    client.previous_secret_hash = client.previous_secret_until = None
    await session.flush()
    return client


async def rotate_secret(
    session: AsyncSession, *, client_id: str, grace_seconds: int = 0, now: datetime | None = None
) -> Rotated:
    """A new secret (shown once, stored as an argon2 hash). With a grace period the replaced
    secret still works until it ends; rotating again within it drops the oldest."""
    grace = rules.checked_grace_seconds(grace_seconds)
    client = await _active(session, client_id)
    secret = secrets.token_urlsafe(32)
    until = (now or utcnow()) + timedelta(seconds=grace) if grace else None
    client.previous_secret_hash = client.secret_hash if until is not None else None
    client.previous_secret_until = until
    client.secret_hash = await asyncio.to_thread(_hasher.hash, secret)
    await session.flush()
    return Rotated(client, secret, until)


async def authenticate(session: AsyncSession, *, client_id: str, secret: str) -> Client:
    client = await ClientRepository(session).find(client_id) if client_id else None
    secret_hash = client.secret_hash if client is not None else _decoy_hash()
    matches = await asyncio.to_thread(_verify, secret_hash, secret)  # argon2 is slow by design
    if (
        not matches
        and client is not None
        and client.previous_secret_hash is not None
        and rules.previous_secret_accepted(client.previous_secret_until, utcnow())
    ):  # within a rotation's grace period: the replaced secret too
        matches = await asyncio.to_thread(_verify, client.previous_secret_hash, secret)
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
    extra: dict[str, Any] = {"purpose": client.purpose} if client.purpose else {}
    if client.purpose_required:  # every audited call must then declare X-Purpose
        extra[PURPOSE_REQUIRED_CLAIM] = True
    token = signer.issue(
        subject=client.client_id,
        scopes=scopes,
        jurisdiction=client.jurisdiction,
        ttl_seconds=ttl_seconds,
        extra=extra or None,
    )
    return IssuedToken(token, ttl_seconds, scopes)
