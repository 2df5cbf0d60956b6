"""The audit trail of one database: appending (chained, by group commit), verifying and
querying.

Requests never touch the head: `Auditor.record` hands the entry to a `Batcher`, whose writer
takes the entries that arrived together (waiting `linger_seconds` for more when nobody waits on
them) and appends them in one transaction, linked after the head: it locks the head row
(`SELECT … FOR UPDATE` on PostgreSQL; SQLite has one writer), numbers the entries and links them
(`ledger_rules.entry_hash` over `rules.HASHED_FIELDS`, with the entry's own `algorithm`). Two
replicas' writers take turns on the lock, a batch at a time, so the chain never forks (and the
unique `seq` would refuse a fork). An entry is written once, chained: no second pass rewrites it.

Entries appended un-chained (`AuditStore.append_many`: by a replica of an earlier version during
a rolling upgrade, or a test) are linked by every replica's chainer, every `chain_seconds`, in
`id` order after the head.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from junheng_kit.agency import ledger_rules
from junheng_kit.agency.ledger_rules import GENESIS_HASH
from junheng_kit.audit import rules
from junheng_kit.audit.tables import (
    HEAD_ID,
    AuditArchiveColumns,
    AuditEntryColumns,
    AuditHeadColumns,
)
from junheng_kit.batching import Batcher
from junheng_kit.crypto_profile import profile
from junheng_kit.timeutil import utcnow

log = logging.getLogger("junheng.audit")

CHAIN_BATCH = 2000
VERIFY_PAGE = 5000


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One access or administrative act, as the request saw it."""

    client_id: str
    purpose: str
    action: str
    kind: str
    county_code: str
    status: int
    request_id: str
    on_behalf_of: str | None = None
    record_ids: Sequence[str] = ()
    record_count: int | None = None  # when the ids are not listed (a bulk export)
    query_digest: str | None = None
    student_keys: Sequence[str] = ()
    classes: Sequence[str] = ()
    recorded_at: datetime | None = None

    def row(self, algorithm: str) -> dict[str, Any]:
        ids, count = rules.bounded([str(i) for i in self.record_ids])
        keys, _ = rules.bounded(list(self.student_keys))
        return {
            "recorded_at": self.recorded_at or utcnow(),
            "client_id": self.client_id[:100],
            "on_behalf_of": self.on_behalf_of,
            "purpose": self.purpose[: rules.PURPOSE_MAX],
            "action": self.action,
            "kind": self.kind[:40],
            "record_ids": ids,
            "record_count": self.record_count if self.record_count is not None else count,
            "query_digest": self.query_digest if (ids is None or self.query_digest) else None,
            "student_keys": " ".join(keys) if keys else None,
            "classes": sorted(set(self.classes))[: rules.MAX_CLASSES],
            "county_code": self.county_code[:12],
            "outcome": rules.outcome_of(self.status),
            "status": self.status,
            "request_id": self.request_id[:64],
            "algorithm": algorithm,
        }


@dataclass(frozen=True, slots=True)
class ChainStatus:
    chained: int  # entries linked (archived ones included)
    head_hash: str
    unchained: int  # appended, not yet linked
    archived: int
    broken_seq: int | None = None
    reason: Any = None  # i18n Text


@dataclass(frozen=True)
class AuditStore:
    """One database's audit tables and what is done with them (the caller's session)."""

    entry: type[AuditEntryColumns]
    head: type[AuditHeadColumns]
    archive: type[AuditArchiveColumns]

    @property
    def table(self) -> Table:
        return self.entry.__table__  # type: ignore[attr-defined,no-any-return]

    async def append_many(self, session: AsyncSession, records: Sequence[AuditRecord]) -> None:
        """Append `records` un-chained (the chainer links them)."""
        algorithm = profile().hash_name
        await session.execute(insert(self.table), [record.row(algorithm) for record in records])

    async def append_chained(self, session: AsyncSession, records: Sequence[AuditRecord]) -> None:
        """Append `records` linked after the head, in the caller's transaction (caller commits):
        the head is locked until then."""
        head = await self._locked_head(session)
        algorithm = profile().hash_name
        seq, current, rows = head.seq, head.head_hash, []
        for record in records:
            seq += 1
            row = record.row(algorithm)
            row["seq"], row["prev_hash"] = seq, current
            current = row["entry_hash"] = ledger_rules.entry_hash(
                current, row, fields=rules.HASHED_FIELDS, algorithm=algorithm
            )
            rows.append(row)
        await session.execute(insert(self.table), rows)
        head.seq, head.head_hash = seq, current
        await session.flush()

    async def _locked_head(self, session: AsyncSession) -> Any:
        head = await session.scalar(
            select(self.head).where(self.head.id == HEAD_ID).with_for_update()
        )
        if head is None:
            raise RuntimeError("audit head row missing: created by the service's migration")
        return head

    async def chain_batch(self, session: AsyncSession, *, limit: int = CHAIN_BATCH) -> int:
        """Link up to `limit` un-chained entries after the head (caller commits); how many."""
        head = await self._locked_head(session)
        columns = [c for c in self.table.columns if c.key not in ("seq", "prev_hash", "entry_hash")]
        rows = (
            await session.execute(
                select(*columns)
                .where(self.table.c.seq.is_(None))
                .order_by(self.table.c.id)
                .limit(limit)
            )
        ).all()
        if not rows:
            return 0
        seq, current, links = head.seq, head.head_hash, []
        for row in rows:
            seq += 1
            entry = {**row._mapping, "seq": seq}
            link = ledger_rules.entry_hash(
                current, entry, fields=rules.HASHED_FIELDS, algorithm=entry["algorithm"]
            )
            links.append({"row_id": entry["id"], "seq": seq, "prev": current, "hash": link})
            current = link
        await session.execute(
            update(self.table)
            .where(self.table.c.id == bindparam("row_id"))
            .values(seq=bindparam("seq"), prev_hash=bindparam("prev"), entry_hash=bindparam("hash"))
            .execution_options(synchronize_session=False),
            links,
        )
        head.seq, head.head_hash = seq, current
        await session.flush()
        return len(rows)

    async def start_of_kept_chain(self, session: AsyncSession) -> tuple[int, str, int]:
        """(seq, hash) the kept entries continue from — the last archived segment's end, or the
        genesis — and how many entries were archived."""
        last = await session.scalar(
            select(self.archive).order_by(self.archive.last_seq.desc()).limit(1)
        )
        archived = await session.scalar(select(func.coalesce(func.sum(self.archive.entries), 0)))
        if last is None:
            return 0, GENESIS_HASH, int(archived or 0)
        return last.last_seq, last.last_hash, int(archived or 0)

    async def verify(self, session: AsyncSession) -> ChainStatus:
        """Recompute every kept link from where the archive ends; the first break, if any."""
        seq, current, archived = await self.start_of_kept_chain(session)
        names = [c for c in self.table.columns]
        while True:
            page = [
                dict(row._mapping)
                for row in await session.execute(
                    select(*names)
                    .where(self.table.c.seq.is_not(None), self.table.c.seq > seq)
                    .order_by(self.table.c.seq)
                    .limit(VERIFY_PAGE)
                )
            ]
            broken, seq, current = ledger_rules.first_break(
                page, prev_seq=seq, prev_hash=current, fields=rules.HASHED_FIELDS
            )
            if broken is not None:
                return await self._status(session, seq, current, archived, broken)
            if len(page) < VERIFY_PAGE:
                break
        head = await session.get(self.head, HEAD_ID)
        if head is None or head.seq != seq or head.head_hash != current:
            from junheng_kit.i18n import t

            reason = t("审计链头与最后一条不符:有条目丢失", "the head differs: entries were lost")
            return await self._status(
                session, seq, current, archived, ledger_rules.ChainBreak(seq + 1, reason)
            )
        return await self._status(session, seq, current, archived, None)

    async def _status(
        self,
        session: AsyncSession,
        seq: int,
        current: str,
        archived: int,
        broken: ledger_rules.ChainBreak | None,
    ) -> ChainStatus:
        unchained = await session.scalar(
            select(func.count()).select_from(self.table).where(self.table.c.seq.is_(None))
        )
        return ChainStatus(
            chained=seq,
            head_hash=current,
            unchained=int(unchained or 0),
            archived=archived,
            broken_seq=broken.seq if broken else None,
            reason=broken.reason if broken else None,
        )


@dataclass
class Auditor:
    """A process's audit trail: the group-commit writer, and the chainer of entries appended
    un-chained (`start`/`stop`).
    `state` is the app's state (its `sessionmaker`, read at each use: tests swap it).
    `enabled` False (JUNHENG_AUDIT=off, dev only — a benchmark's baseline) records nothing.
    `background` False (JUNHENG_ENV=test) links entries only when asked (`chain_now`, which
    the verify endpoint calls first anyway)."""

    store: AuditStore
    state: Any
    enabled: bool = True
    chain_seconds: float = 0.5
    background: bool = True
    # archiving past the retention (junheng_kit.audit.archive), every `archive_seconds`
    retention_days: int = rules.MIN_RETENTION_DAYS
    archive_dir: Path = Path("var/audit-archive")
    service: str = "service"
    archive_seconds: float = 3600.0
    # answers wait for their entry's commit (True), or not (False: the default, off the path)
    durable: bool = False
    # off the path, the writer waits this long for more entries before each batch: fewer,
    # larger transactions (an entry is committed within about this time and the batch's own)
    linger_seconds: float = 0.05
    _writer: Batcher[AuditRecord, None] | None = field(default=None, init=False)
    _chainer: asyncio.Task[None] | None = field(default=None, init=False)
    _archiver: asyncio.Task[None] | None = field(default=None, init=False)
    _pending: set[asyncio.Future[None]] = field(default_factory=set, init=False)

    async def record(self, record: AuditRecord, *, wait: bool | None = None) -> None:
        """Append `record` by group commit. `wait` (default: `durable`): return once its batch
        committed; else return at once — the batch commits within about `linger_seconds`, off the
        answer's path (an entry still queued when the process is killed is lost; a write that
        fails is logged, `audit.write_failed`)."""
        if not self.enabled:
            return
        if self._writer is None:
            linger = 0.0 if self.durable else self.linger_seconds
            self._writer = Batcher(self._write, name="audit", max_batch=512, linger=linger)
        if self.durable if wait is None else wait:
            await self._writer.submit(record)
            return
        pending = self._writer.put(record)
        self._pending.add(pending)
        pending.add_done_callback(self._written)

    async def flush(self) -> None:
        """Until the entries this process has queued are committed (a reader of the trail sees
        its own replica's last answers)."""
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=10)

    def _written(self, pending: asyncio.Future[None]) -> None:
        self._pending.discard(pending)
        if not pending.cancelled() and pending.exception() is not None:
            log.error("audit.write_failed", exc_info=pending.exception())

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        maker: async_sessionmaker[AsyncSession] = self.state.sessionmaker
        return maker

    async def _write(self, records: Sequence[AuditRecord]) -> list[BaseException | None]:
        async with self.sessionmaker() as session:
            await self.store.append_chained(session, records)
            await session.commit()
        return [None] * len(records)

    async def chain_now(self) -> int:
        """Link every entry appended so far (batches until none is left); how many."""
        total = 0
        while True:
            async with self.sessionmaker() as session:
                linked = await self.store.chain_batch(session)
                await session.commit()
            total += linked
            if linked < CHAIN_BATCH:
                return total

    async def _chain_forever(self) -> None:
        while True:
            try:
                await self.chain_now()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away a moment: the next round links the rest
                log.exception("audit.chain_failed")
            await asyncio.sleep(self.chain_seconds)

    async def archive_now(self) -> Any:
        """Archive what is past the retention (the segment, or None)."""
        from junheng_kit.audit.archive import archive_expired

        async with self.sessionmaker() as session:
            segment = await archive_expired(
                self.store,
                session,
                retention_days=self.retention_days,
                directory=self.archive_dir,
                service=self.service,
            )
            await session.commit()
        if segment is not None:
            log.info("audit.archived", extra={"segment": segment.location})
        return segment

    async def _archive_forever(self) -> None:
        while True:
            await asyncio.sleep(self.archive_seconds)
            try:
                await self.archive_now()
            except asyncio.CancelledError:
                raise
            except Exception:  # a full disk, the database away: tried again next round
                log.exception("audit.archive_failed")

    def start(self) -> Auditor:
        if self.enabled and self.background and self._chainer is None:
            self._chainer = asyncio.create_task(self._chain_forever(), name="audit-chainer")
            self._archiver = asyncio.create_task(self._archive_forever(), name="audit-archiver")
        return self

    async def stop(self) -> None:
        if self._pending:  # entries of the last answers, committed before the process ends
            await asyncio.wait(set(self._pending), timeout=10)
        if self._writer is not None:
            await self._writer.close()
        for task in (self._chainer, self._archiver):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._chainer = self._archiver = None
        if self.enabled:
            with contextlib.suppress(Exception):  # a last round: entries of the final requests
                await self.chain_now()
