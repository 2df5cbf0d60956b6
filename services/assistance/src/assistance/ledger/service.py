"""Ledger use-cases: append (inside the caller's transaction), verify, the family's access log —
the kit's ledger (`junheng_kit.agency.ledger`) over assistance's tables."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.ledger.models import LEDGER, LedgerEntry
from junheng_kit.agency.ledger import ChainBroken, ChainStatus, LedgerRecord
from junheng_kit.auth import Principal

__all__ = [
    "ChainBroken",
    "ChainStatus",
    "LedgerRecord",
    "access_log",
    "append",
    "append_many",
    "verify",
]


async def append(session: AsyncSession, record: LedgerRecord) -> LedgerEntry:
    """Append one entry after the head; the head row lock serialises concurrent appends."""
    return await LEDGER.append(session, record)


async def append_many(session: AsyncSession, records: Sequence[LedgerRecord]) -> list[int]:
    """Append entries in order under one lock of the head (a job's list matches: thousands of
    entries, set-based); their seqs."""
    return await LEDGER.append_many(session, records)


async def verify(session: AsyncSession) -> ChainStatus:
    """Recompute every link; the first broken entry is a 409 naming it (rule hash_chain)."""
    return await LEDGER.verify(session)


async def access_log(
    session: AsyncSession, principal: Principal, *, student_key: str
) -> Sequence[LedgerEntry]:
    """Every ledgered lookup about the child in the caller's jurisdiction, newest first."""
    return await LEDGER.about(session, student_key, within=principal.jurisdiction)
