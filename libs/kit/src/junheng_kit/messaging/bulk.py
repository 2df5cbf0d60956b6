"""Many events in one statement: the outbox for set-based use-cases (imports, recomputes).

Same rows as `add_event`, written with one multi-row INSERT per chunk instead of one ORM object
per event, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from uuid import UUID

import polars as pl
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_contracts import CloudEvent
from junheng_kit.bulk_insert import insert_columns
from junheng_kit.db import EVENTS_STAGED
from junheng_kit.ids import uuid7_many
from junheng_kit.tables import OutboxMessage
from junheng_kit.timeutil import utcnow

OUTBOX = cast(Table, OutboxMessage.__table__)


async def add_events(session: AsyncSession, events: Sequence[CloudEvent[Any]]) -> None:
    """Stage every event in the caller's transaction; the relay publishes them after commit."""
    if not events:
        return
    await insert_columns(
        await session.connection(),
        OUTBOX,
        {
            "id": [UUID(e.id) for e in events],
            "subject": [e.type for e in events],
            "payload": [e.model_dump_json().encode() for e in events],
            "created_at": [utcnow()] * len(events),
            "attempts": [0] * len(events),
        },
    )
    session.info[EVENTS_STAGED] = True


async def add_event_frame(
    session: AsyncSession, event_type: type[CloudEvent[Any]], frame: pl.DataFrame
) -> None:
    """Many events of one type from a frame with columns `subject`, `jurisdiction` and `data`
    (a struct shaped like the contract's data, dates as dates).

    The envelopes are JSON-encoded column-wise by polars instead of one pydantic model per event
    (the cost of a 50,000-row import). The first and the last event are validated against the
    contract, so a payload that drifted from it fails the use-case, not a consumer.
    """
    if frame.height == 0:
        return
    now = utcnow()
    ids = uuid7_many(frame.height)
    payloads = (
        frame.select(
            pl.struct(
                pl.lit("1.0").alias("specversion"),
                pl.Series("id", [str(i) for i in ids], dtype=pl.String),
                pl.lit(event_type.model_fields["source"].default).alias("source"),
                pl.lit(event_type.event_type).alias("type"),
                pl.col("subject"),
                pl.lit(now.isoformat().replace("+00:00", "Z")).alias("time"),
                pl.lit("application/json").alias("datacontenttype"),
                pl.col("jurisdiction"),
                pl.col("data"),
            ).struct.json_encode()
        )
        .to_series()
        .cast(pl.Binary)
        .to_list()
    )
    for probe in {0, len(payloads) - 1}:
        event_type.model_validate_json(payloads[probe])
    await insert_columns(
        await session.connection(),
        OUTBOX,
        {
            "id": ids,
            "subject": [event_type.event_type] * len(ids),
            "payload": payloads,
            "created_at": [now] * len(ids),
            "attempts": [0] * len(ids),
        },
    )
    session.info[EVENTS_STAGED] = True
