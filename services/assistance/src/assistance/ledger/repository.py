"""Every query of the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.ledger.models import LedgerEntry, LedgerHead
from assistance.ledger.rules import HASHED_FIELDS
from junheng_kit.auth import Jurisdiction

HEAD_ID = 1


@dataclass
class LedgerRepository:
    session: AsyncSession

    async def lock_head(self) -> LedgerHead:
        """The head row, locked until the transaction ends (PostgreSQL; SQLite: one writer)."""
        head = await self.session.scalar(
            select(LedgerHead).where(LedgerHead.id == HEAD_ID).with_for_update()
        )
        if head is None:  # created by migration a0003; absent only if someone deleted it
            raise RuntimeError("ledger_head row missing: the ledger cannot be appended")
        return head

    async def head(self) -> LedgerHead | None:
        return await self.session.get(LedgerHead, HEAD_ID)

    def add(self, entry: LedgerEntry) -> None:
        self.session.add(entry)

    async def page(self, *, after_seq: int, limit: int) -> list[dict[str, Any]]:
        columns = [getattr(LedgerEntry, name) for name in HASHED_FIELDS if name != "seq"]
        rows = await self.session.execute(
            select(LedgerEntry.seq, *columns, LedgerEntry.prev_hash, LedgerEntry.entry_hash)
            .where(LedgerEntry.seq > after_seq)
            .order_by(LedgerEntry.seq)
            .limit(limit)
        )
        return [dict(row._mapping) for row in rows]

    async def about(
        self, student_key: str, *, within: Jurisdiction, limit: int = 1000
    ) -> Sequence[LedgerEntry]:
        return (
            await self.session.scalars(
                select(LedgerEntry)
                .where(
                    LedgerEntry.student_key == student_key, within.covers(LedgerEntry.county_code)
                )
                .order_by(LedgerEntry.seq.desc())
                .limit(limit)
            )
        ).all()
