"""The gateway's administrative acts in its audit trail (junheng_kit.audit, the kit's tables in
the gateway's database): a client registered, a token issued or refused, the signing key in
use changed, a webhook subscription created, removed, re-enabled or its secret rotated.

Acts of a request are written by the kit's middleware and group commit (the token path opens
no transaction of its own for them); the operator's CLI appends in its own transaction."""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.repository import ClientRepository
from junheng_kit.app import KIT_AUDIT
from junheng_kit.audit import AuditRecord, AuditTrail
from junheng_kit.audit.http import TRAIL
from junheng_kit.audit.tables import AuditEntry
from junheng_kit.ids import uuid7

OPERATOR = "operator:cli"  # the CLI run on the gateway's host: no client, the operator
# acts of no county (the signing key, a token asked for an unknown client id) are recorded with
# county_code "" and shown to every auditor of the gateway (app.state.audit_unplaced_visible)


def county_of(jurisdiction: Sequence[str]) -> str:
    return jurisdiction[0] if len(jurisdiction) == 1 else ""


async def client_registered(
    session: AsyncSession, client_id: str, jurisdiction: Sequence[str]
) -> None:
    """`register-client` (in the registration's transaction)."""
    await KIT_AUDIT.append_many(
        session,
        [
            AuditRecord(
                client_id=OPERATOR,
                purpose="register-client",
                action="admin",
                kind="client",
                county_code=county_of(jurisdiction),
                status=201,
                request_id=str(uuid7()),
                record_ids=[client_id],
            )
        ],
    )


async def county_of_client(session: AsyncSession, client_id: str) -> str:
    client = await ClientRepository(session).find(client_id) if client_id else None
    return county_of(client.jurisdiction) if client is not None else ""


def token_trail(scope: MutableMapping[str, Any], client_id: str) -> AuditTrail:
    """A token request's trail, written with its answer's status by the kit's middleware (after
    the request's own transaction: never two writers at once): issued (200) or refused (401 bad
    credentials, 429 throttled, 400 scope) — the client id as claimed, the scopes."""
    trail = AuditTrail("token", "admin", purpose="oauth2 client credentials")
    trail.client_id = client_id[:100] or "-"
    trail.county_code = ""
    scope[TRAIL] = trail
    return trail


async def signing_key_in_use(state: Any, kid: str) -> None:
    """At start: the signing key differs from the one the trail last recorded — a rotation."""
    async with state.sessionmaker() as session:
        last = await session.scalar(
            select(AuditEntry.record_ids)
            .where(AuditEntry.kind == "signing_key")
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
    if last == [kid]:
        return
    await state.auditor.record(
        AuditRecord(
            client_id=OPERATOR,
            purpose="signing key rotation",
            action="admin",
            kind="signing_key",
            county_code="",
            status=200,
            request_id=str(uuid7()),
            record_ids=[kid],
        )
    )
