"""Archiving the audit trail past its retention (`JUNHENG_AUDIT_RETENTION_DAYS`, ≥ 183).

The chained entries recorded before the cut-off form one segment (seq `first`…`last`): written,
oldest first, to an NDJSON file `<directory>/<service>-audit-<first>-<last>.ndjson` (made
durable before anything is deleted), recorded in `audit_archive` (first/last seq, count, the
segment's first prev_hash and last hash, the file's SHA-256) and deleted from `audit_entry` —
in one transaction. `verify` then starts from the last archived segment's (seq, hash); the file
is checked on its own with the same rule (`verify_segment`). Entries not yet chained wait for
the next round.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.agency import ledger_rules
from junheng_kit.audit import rules
from junheng_kit.audit.tables import HEAD_ID
from junheng_kit.audit.trail import AuditStore
from junheng_kit.timeutil import utcnow


@dataclass(frozen=True, slots=True)
class Segment:
    first_seq: int
    last_seq: int
    entries: int
    first_prev_hash: str
    last_hash: str
    location: str
    file_digest: str


def _line(row: Mapping[str, Any]) -> bytes:
    values = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
    return json.dumps(values, ensure_ascii=False, sort_keys=True).encode() + b"\n"


async def archive_expired(
    store: AuditStore,
    session: AsyncSession,
    *,
    retention_days: int,
    directory: Path,
    service: str,
    now: datetime | None = None,
) -> Segment | None:
    """Archive the chained entries older than `retention_days` (caller commits); the segment,
    or None when nothing has expired."""
    problem = rules.retention_problem(retention_days)
    if problem is not None:
        raise ValueError(problem)
    before = (now or utcnow()) - timedelta(days=retention_days)
    table = store.table
    # under the head's lock: one archiver at a time, never beside a writer or a chainer (every
    # replica runs all three)
    await session.execute(select(store.head).where(store.head.id == HEAD_ID).with_for_update())
    rows = [
        dict(row._mapping)
        for row in await session.execute(
            select(*table.columns)
            .where(table.c.seq.is_not(None), table.c.recorded_at < before)
            .order_by(table.c.seq)
        )
    ]
    if not rows:
        return None
    start_seq, start_hash, _ = await store.start_of_kept_chain(session)
    broken, _, _ = ledger_rules.first_break(
        rows, prev_seq=start_seq, prev_hash=start_hash, fields=rules.HASHED_FIELDS
    )
    if broken is not None:  # never archive (and delete) a segment that does not chain
        raise RuntimeError(f"audit entry {broken.seq} does not chain: not archived")
    first, last = rows[0], rows[-1]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{service}-audit-{first['seq']:012d}-{last['seq']:012d}.ndjson"
    digest = hashlib.sha256()
    with path.open("wb") as file:
        for row in rows:
            line = _line(row)
            digest.update(line)
            file.write(line)
        file.flush()
        os.fsync(file.fileno())
    segment = Segment(
        first_seq=int(first["seq"]),
        last_seq=int(last["seq"]),
        entries=len(rows),
        first_prev_hash=str(first["prev_hash"]),
        last_hash=str(last["entry_hash"]),
        location=path.name,
        file_digest=digest.hexdigest(),
    )
    await session.execute(
        insert(store.archive.__table__),  # type: ignore[attr-defined]
        {
            **{name: getattr(segment, name) for name in Segment.__slots__},
            "archived_before": before,
            "archived_at": utcnow(),
        },
    )
    await session.execute(
        delete(table).where(table.c.seq.is_not(None), table.c.seq <= segment.last_seq)
    )
    return segment


def verify_segment(lines: Iterable[bytes], *, prev_seq: int, prev_hash: str) -> int | None:
    """An archive file checked on its own: the first seq that does not chain, or None."""
    entries = []
    for line in lines:
        entry = json.loads(line)
        entry["recorded_at"] = datetime.fromisoformat(entry["recorded_at"])
        entries.append(entry)
    broken, _, _ = ledger_rules.first_break(
        entries, prev_seq=prev_seq, prev_hash=prev_hash, fields=rules.HASHED_FIELDS
    )
    return None if broken is None else broken.seq
