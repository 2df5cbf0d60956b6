"""The gateway's administrative acts in its audit trail (junheng_kit.audit, the kit's tables in
the gateway's database): a client registered, changed, removed or its secret rotated, a token
issued or refused, the signing key in use changed, a webhook subscription created, removed,
re-enabled or its secret rotated.

Acts of a request are written by the kit's middleware and group commit (the token path opens
no transaction of its own for them); the operator's CLI appends in the transaction of the
change it records (both or neither).

An operator's act on a client is kind `client`, purpose the command (`change-client`, …),
record ids the client id then what changed: a field's name, with its new value for the scopes,
the jurisdiction and `purpose_required` (`scopes=enrollment:read staffing:read`) — never a
secret."""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.models import Client
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


async def _operator_act(
    session: AsyncSession, command: str, county_code: str, status: int, record_ids: list[str]
) -> None:
    await KIT_AUDIT.append_many(
        session,
        [
            AuditRecord(
                client_id=OPERATOR,
                purpose=command,
                action="admin",
                kind="client",
                county_code=county_code,
                status=status,
                request_id=str(uuid7()),
                record_ids=record_ids,
            )
        ],
    )


async def client_registered(
    session: AsyncSession, client_id: str, jurisdiction: Sequence[str]
) -> None:
    """`register-client` (in the registration's transaction)."""
    await _operator_act(session, "register-client", county_of(jurisdiction), 201, [client_id])


def _change(field: str, client: Client) -> str:
    if field == "scopes":
        return f"scopes={' '.join(client.scopes)}"
    if field == "jurisdiction":
        return f"jurisdiction={' '.join(client.jurisdiction)}"
    if field == "purpose_required":
        return f"purpose_required={str(client.purpose_required).lower()}"
    return field  # the purpose: its name only


async def client_changed(
    session: AsyncSession, client: Client, fields: Sequence[str], previous: Sequence[str]
) -> None:
    """`change-client` (in the change's transaction): the auditors of the county before and
    after see it (a change across counties is unplaced: every auditor of the gateway)."""
    county = county_of(sorted({*previous, *client.jurisdiction}))
    changes = [_change(field, client) for field in fields]
    await _operator_act(session, "change-client", county, 200, [client.client_id, *changes])


async def client_removed(session: AsyncSession, client: Client) -> None:
    """`remove-client` (in the removal's transaction)."""
    await _operator_act(
        session,
        "remove-client",
        county_of(client.jurisdiction),
        200,
        [client.client_id, "disabled=true"],
    )


async def secret_rotated(session: AsyncSession, client: Client, grace_seconds: int) -> None:
    """`rotate-secret` (in the rotation's transaction): the grace period, never the secret."""
    await _operator_act(
        session,
        "rotate-secret",
        county_of(client.jurisdiction),
        200,
        [client.client_id, "secret", f"grace_seconds={grace_seconds}"],
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
