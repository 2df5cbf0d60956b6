"""Ledger use-cases: append (inside the caller's transaction), verify, the family's access log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.ledger import rules
from assistance.ledger.models import GENESIS_HASH, LedgerEntry, LedgerHead
from assistance.ledger.repository import LedgerRepository
from junheng_kit.auth import Principal
from junheng_kit.problems import Conflict, FieldError
from junheng_kit.timeutil import utcnow

VERIFY_PAGE = 5000


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """What is appended: one lookup, list fetch or manual evidence, and how it ended."""

    kind: str  # lookup | list_fetch | manual_evidence
    actor: str
    county_code: str
    agency: str
    purpose: str
    request_id: str
    outcome: str  # matched | not_matched | unavailable | refused | fetched | manual
    student_key: str | None = None
    legal_basis: str | None = None
    consent_ref: str | None = None
    answer_id: str | None = None
    detail: str | None = None


async def append(session: AsyncSession, record: LedgerRecord) -> LedgerEntry:
    """Append one entry after the head; the head row lock serialises concurrent appends."""
    [entry] = await append_many(session, [record])
    return entry


async def append_many(session: AsyncSession, records: Sequence[LedgerRecord]) -> list[LedgerEntry]:
    """Append entries in order after the head under one lock of the head row, chained one to
    the next (a job's list matches: thousands of entries, one flush)."""
    if not records:
        return []
    repository = LedgerRepository(session)
    head = await repository.lock_head()
    entries = []
    for record in records:
        entry = _chained(head, record)
        head.seq, head.head_hash = entry.seq, entry.entry_hash
        repository.add(entry)
        entries.append(entry)
    await session.flush()
    return entries


def _chained(head: LedgerHead, record: LedgerRecord) -> LedgerEntry:
    entry = LedgerEntry(
        seq=head.seq + 1,
        kind=record.kind,
        actor=record.actor[:100],
        student_key=record.student_key,
        county_code=record.county_code,
        agency=record.agency,
        purpose=record.purpose[:200],
        legal_basis=record.legal_basis[:200] if record.legal_basis else None,
        consent_ref=record.consent_ref[:100] if record.consent_ref else None,
        request_id=record.request_id,
        answer_id=record.answer_id,
        outcome=record.outcome,
        detail=record.detail[:300] if record.detail else None,
        recorded_at=utcnow(),
        prev_hash=head.head_hash,
    )
    entry.entry_hash = rules.entry_hash(
        head.head_hash, {name: getattr(entry, name) for name in rules.HASHED_FIELDS}
    )
    return entry


class ChainBroken(Conflict):
    slug, title = "ledger-chain-broken", "The ledger's hash chain is broken"


@dataclass(frozen=True, slots=True)
class ChainStatus:
    entries: int
    head_hash: str


async def verify(session: AsyncSession) -> ChainStatus:
    """Recompute every link; the first broken entry is a 409 naming it (rule hash_chain)."""
    repository = LedgerRepository(session)
    seq, current = 0, GENESIS_HASH
    while True:
        page = await repository.page(after_seq=seq, limit=VERIFY_PAGE)
        broken, seq, current = rules.first_break(page, prev_seq=seq, prev_hash=current)
        if broken is not None:
            raise ChainBroken(
                f"ledger entry {broken.seq} does not chain",
                FieldError(f"entries[{broken.seq}].entry_hash", "hash_chain", broken.reason),
            )
        if len(page) < VERIFY_PAGE:
            break
    head = await repository.head()
    if head is None or head.seq != seq or head.head_hash != current:
        raise ChainBroken(
            "the ledger head does not match its last entry",
            FieldError(f"entries[{seq}].entry_hash", "hash_chain", "head differs: entries lost"),
        )
    return ChainStatus(entries=seq, head_hash=current)


async def access_log(
    session: AsyncSession, principal: Principal, *, student_key: str
) -> Sequence[LedgerEntry]:
    """Every ledgered lookup about the child in the caller's jurisdiction, newest first."""
    return await LedgerRepository(session).about(student_key, within=principal.jurisdiction)
