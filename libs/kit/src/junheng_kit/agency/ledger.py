"""The lookup ledger (查询台账) every service asking partner agencies keeps: hash-chained,
append-only, one entry per lookup, list fetch or manual evidence, whatever its outcome.

A service declares its two tables from the mixins (`class LedgerEntry(Base, LedgerEntryColumns)`,
`class LedgerHead(Base, LedgerHeadColumns)`, table names its own) and calls `Ledger(entry, head)`.
The head row (`id` = 1, created by the service's migration) is locked by every append
(`SELECT … FOR UPDATE` on PostgreSQL; SQLite has one writer), so seqs never fork. The hash rule
is `ledger_rules`: each entry is hashed with the deployment's profile (`junheng_kit.crypto_profile`:
SHA-256, or SM3 under 国密) and names it in `algorithm`, so a chain verifies across a profile
change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Integer, String, Table, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from junheng_kit.agency import ledger_rules as rules
from junheng_kit.agency.ledger_rules import GENESIS_HASH
from junheng_kit.auth import Jurisdiction
from junheng_kit.bulk_insert import insert_columns
from junheng_kit.crypto_profile import profile
from junheng_kit.db import UtcDateTime
from junheng_kit.i18n import t
from junheng_kit.problems import Conflict, FieldError
from junheng_kit.timeutil import utcnow

HEAD_ID = 1
VERIFY_PAGE = 5000


class LedgerEntryColumns:
    """查询台账条目: who asked (`actor`), about whom (`student_key`, the pseudonym; null for list
    fetches), `county_code` (jurisdiction of the access log), `agency`, `kind`, `purpose`,
    `legal_basis` / `consent_ref`, `request_id`, `answer_id`, `outcome`, `detail`; `algorithm`
    the hash that links it (`sha256`, or `sm3` under 国密; rows from before the column: sha256)."""

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(100))
    student_key: Mapped[str | None] = mapped_column(String(32), index=True)
    county_code: Mapped[str] = mapped_column(String(6))
    agency: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str | None] = mapped_column(String(200))
    consent_ref: Mapped[str | None] = mapped_column(String(100))
    request_id: Mapped[str] = mapped_column(String(64))
    answer_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(24))
    detail: Mapped[str | None] = mapped_column(String(300))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
    algorithm: Mapped[str] = mapped_column(String(8), server_default="sha256")


class LedgerHeadColumns:
    """The chain's head: locked by every append."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """What is appended: one lookup, list fetch or manual evidence, and how it ended."""

    kind: str  # lookup | list_fetch | manual_evidence | batch_lookup
    actor: str
    county_code: str
    agency: str
    purpose: str
    request_id: str
    outcome: str  # matched | not_matched | unavailable | refused | fetched | manual | …
    student_key: str | None = None
    legal_basis: str | None = None
    consent_ref: str | None = None
    answer_id: str | None = None
    detail: str | None = None


class ChainBroken(Conflict):
    slug, title = "ledger-chain-broken", t("台账哈希链断裂", "The ledger's hash chain is broken")


@dataclass(frozen=True, slots=True)
class ChainStatus:
    entries: int
    head_hash: str
    algorithm: str | None  # the head entry's hash (`sha256` / `sm3`); None while empty


Entry = TypeVar("Entry", bound=LedgerEntryColumns)
Head = TypeVar("Head", bound=LedgerHeadColumns)


@dataclass(frozen=True)
class Ledger(Generic[Entry, Head]):
    """One service's ledger: its entry and head tables."""

    entry: type[Entry]
    head: type[Head]

    async def _lock_head(self, session: AsyncSession) -> Head:
        head = await session.scalar(
            select(self.head).where(self.head.id == HEAD_ID).with_for_update()
        )
        if head is None:  # created by the service's migration; absent only if deleted
            raise RuntimeError("ledger head row missing: the ledger cannot be appended")
        return head

    @staticmethod
    def _row(
        record: LedgerRecord, seq: int, prev_hash: str, at: datetime, algorithm: str
    ) -> dict[str, Any]:
        row: dict[str, Any] = {
            "seq": seq,
            "kind": record.kind,
            "actor": record.actor[:100],
            "student_key": record.student_key,
            "county_code": record.county_code,
            "agency": record.agency,
            "purpose": record.purpose[:200],
            "legal_basis": record.legal_basis[:200] if record.legal_basis else None,
            "consent_ref": record.consent_ref[:100] if record.consent_ref else None,
            "request_id": record.request_id,
            "answer_id": record.answer_id,
            "outcome": record.outcome,
            "detail": record.detail[:300] if record.detail else None,
            "recorded_at": at,
            "prev_hash": prev_hash,
            "algorithm": algorithm,
        }
        row["entry_hash"] = rules.entry_hash(prev_hash, row, algorithm=algorithm)
        return row

    async def append(self, session: AsyncSession, record: LedgerRecord) -> Entry:
        """Append one entry after the head (in the caller's transaction)."""
        head = await self._lock_head(session)
        make: Any = self.entry  # a mapped subclass: SQLAlchemy's keyword constructor
        algorithm = profile().hash_name
        entry: Entry = make(**self._row(record, head.seq + 1, head.head_hash, utcnow(), algorithm))
        head.seq, head.head_hash = entry.seq, entry.entry_hash
        session.add(entry)
        await session.flush()
        return entry

    async def append_many(
        self, session: AsyncSession, records: Sequence[LedgerRecord]
    ) -> list[int]:
        """Append entries in order under one head lock, set-based: the chain hashed in one tight
        loop, the rows inserted column-wise (`junheng_kit.bulk_insert`, one executemany per
        5,000); their seqs, in order. The caller appends a large chunk per call: the head is
        locked once per call."""
        if not records:
            return []
        head = await self._lock_head(session)
        at, algorithm = utcnow(), profile().hash_name
        first = head.seq + 1
        seqs = list(range(first, first + len(records)))
        columns: dict[str, list[Any]] = {
            "seq": seqs,
            "kind": [r.kind for r in records],
            "actor": [r.actor[:100] for r in records],
            "student_key": [r.student_key for r in records],
            "county_code": [r.county_code for r in records],
            "agency": [r.agency for r in records],
            "purpose": [r.purpose[:200] for r in records],
            "legal_basis": [r.legal_basis[:200] if r.legal_basis else None for r in records],
            "consent_ref": [r.consent_ref[:100] if r.consent_ref else None for r in records],
            "request_id": [r.request_id for r in records],
            "answer_id": [r.answer_id for r in records],
            "outcome": [r.outcome for r in records],
            "detail": [r.detail[:300] if r.detail else None for r in records],
        }
        stamp = rules.recorded_at_text(at)
        names = [name for name in rules.HASHED_FIELDS if name != "recorded_at"]
        hashed = (
            dict(zip(names, values, strict=True), recorded_at=stamp)
            for values in zip(*(columns[name] for name in names), strict=True)
        )
        hashes = rules.chain(head.head_hash, hashed, algorithm=algorithm)
        columns["recorded_at"] = [at] * len(records)
        columns["algorithm"] = [algorithm] * len(records)
        columns["prev_hash"] = [head.head_hash, *hashes[:-1]]
        columns["entry_hash"] = hashes
        table = cast(Table, self.entry.__table__)  # type: ignore[attr-defined]  # Core
        await insert_columns(await session.connection(), table, columns)
        head.seq, head.head_hash = seqs[-1], hashes[-1]
        await session.flush()
        return seqs

    async def _page(self, session: AsyncSession, *, after_seq: int) -> list[dict[str, Any]]:
        columns = [getattr(self.entry, name) for name in rules.HASHED_FIELDS if name != "seq"]
        rows = await session.execute(
            select(
                self.entry.seq,
                *columns,
                self.entry.prev_hash,
                self.entry.entry_hash,
                self.entry.algorithm,
            )
            .where(self.entry.seq > after_seq)
            .order_by(self.entry.seq)
            .limit(VERIFY_PAGE)
        )
        return [dict(row._mapping) for row in rows]

    async def verify(self, session: AsyncSession) -> ChainStatus:
        """Recompute every link, each with its own `algorithm`; the first broken entry is a 409
        naming it (rule hash_chain)."""
        seq, current, algorithm = 0, GENESIS_HASH, None
        while True:
            page = await self._page(session, after_seq=seq)
            if page:
                algorithm = str(page[-1]["algorithm"])
            broken, seq, current = rules.first_break(page, prev_seq=seq, prev_hash=current)
            if broken is not None:
                raise ChainBroken(
                    t(f"台账第 {broken.seq} 条未接续", f"ledger entry {broken.seq} does not chain"),
                    FieldError(f"entries[{broken.seq}].entry_hash", "hash_chain", broken.reason),
                )
            if len(page) < VERIFY_PAGE:
                break
        head = await session.get(self.head, HEAD_ID)
        if head is None or head.seq != seq or head.head_hash != current:
            raise ChainBroken(
                t("台账头与最后一条不符", "the ledger head does not match its last entry"),
                FieldError(
                    f"entries[{seq}].entry_hash",
                    "hash_chain",
                    t("台账头不符:有条目丢失", "head differs: entries lost"),
                ),
            )
        return ChainStatus(entries=seq, head_hash=current, algorithm=algorithm)

    async def about(
        self, session: AsyncSession, student_key: str, *, within: Jurisdiction, limit: int = 1000
    ) -> Sequence[Entry]:
        """Every entry about one child in a jurisdiction, newest first (the access log)."""
        return (
            await session.scalars(
                select(self.entry)
                .where(self.entry.student_key == student_key, within.covers(self.entry.county_code))
                .order_by(self.entry.seq.desc())
                .limit(limit)
            )
        ).all()
