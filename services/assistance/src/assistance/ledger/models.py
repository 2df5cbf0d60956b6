"""The lookup ledger (查询台账): hash-chained, append-only record of every agency query.

- `ledger_entry` — `seq` strictly increasing from 1; `entry_hash = sha256(prev_hash ||
  canonical(entry))` (see ledger/rules.py for exactly which fields). Who asked (`actor`: client
  id), about whom (`student_key`: the pseudonym, never the citizen ID; null for list fetches),
  `county_code` (the child's county or the list's region: jurisdiction of the access log),
  `agency`, `kind` (lookup | list_fetch | manual_evidence), `purpose`, `legal_basis` /
  `consent_ref`, `request_id`, `answer_id` (assertion or list id), `outcome`, `detail`.
- `ledger_head` — one row (`id` = 1) holding the last `seq` and `entry_hash`; appends lock it
  (`SELECT … FOR UPDATE` on PostgreSQL; SQLite has one writer), so seqs never fork.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from assistance.db import Base
from junheng_kit.db import UtcDateTime

GENESIS_HASH = "0" * 64


class LedgerEntry(Base):
    """查询台账条目: one agency lookup or list fetch."""

    __tablename__ = "ledger_entry"

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


class LedgerHead(Base):
    """The chain's head: locked by every append."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
