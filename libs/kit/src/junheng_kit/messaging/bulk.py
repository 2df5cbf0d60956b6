"""Many events in one statement: the outbox for set-based use-cases (imports, recomputes).

Same rows as `add_event`, written with one multi-row INSERT per chunk instead of one ORM object
per event, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_contracts import CloudEvent
from junheng_kit.db import EVENTS_STAGED
from junheng_kit.tables import OutboxMessage
from junheng_kit.timeutil import utcnow

CHUNK = 5000


async def add_events(session: AsyncSession, events: Sequence[CloudEvent[Any]]) -> None:
    """Stage every event in the caller's transaction; the relay publishes them after commit."""
    if not events:
        return
    now = utcnow()
    rows = [
        {
            "id": UUID(e.id),
            "subject": e.type,
            "payload": e.model_dump_json().encode(),
            "created_at": now,
            "attempts": 0,
        }
        for e in events
    ]
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(OutboxMessage), rows[start : start + CHUNK])
    session.info[EVENTS_STAGED] = True
