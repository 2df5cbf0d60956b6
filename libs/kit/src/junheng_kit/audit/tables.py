"""The audit trail's tables: the column mixins (a database declares its three tables from them)
and the kit's own declaration, in every service database (created by
`migration_steps.create_audit_tables_v1`).

The writer appends entries already linked, a batch at a time under the head row's lock
(junheng_kit.audit.trail); an entry appended *un-chained* (`seq`, `prev_hash`, `entry_hash`
null: by an earlier version) is linked later by the chainer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from junheng_kit.db import KitBase, UtcDateTime

HEAD_ID = 1


class AuditEntryColumns:
    """审计记录: when, which client (and for whom), why, what (kind, ids or their count and the
    query's digest, children's pseudonymous keys, field classes), where (county), how it ended."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    client_id: Mapped[str] = mapped_column(String(100))
    on_behalf_of: Mapped[str | None] = mapped_column(String(128))
    purpose: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(40))
    record_ids: Mapped[list[str] | None] = mapped_column(JSON)
    record_count: Mapped[int] = mapped_column(Integer)
    query_digest: Mapped[str | None] = mapped_column(String(64))
    # space-separated 32-hex keys (≤ 50): matched by `student_key=` (the family view)
    student_keys: Mapped[str | None] = mapped_column(Text)
    classes: Mapped[list[str]] = mapped_column(JSON)
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    status: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str] = mapped_column(String(64))
    algorithm: Mapped[str] = mapped_column(String(8))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str | None] = mapped_column(String(64), unique=True)


class AuditHeadColumns:
    """The chain's head (`id` = 1): locked by the writer, the chainer and the archiver, never by
    a request."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))


class AuditArchiveColumns:
    """An archived segment: entries `first_seq`…`last_seq` written to `location` (NDJSON, its
    SHA-256 `file_digest`) and deleted; `last_hash` is where the kept chain resumes."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    first_seq: Mapped[int] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(Integer, unique=True)
    entries: Mapped[int] = mapped_column(Integer)
    first_prev_hash: Mapped[str] = mapped_column(String(64))
    last_hash: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(String(500))
    file_digest: Mapped[str] = mapped_column(String(64))
    archived_before: Mapped[datetime] = mapped_column(UtcDateTime)
    archived_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditEntry(KitBase, AuditEntryColumns):
    __tablename__ = "audit_entry"


class AuditHead(KitBase, AuditHeadColumns):
    __tablename__ = "audit_head"


class AuditArchive(KitBase, AuditArchiveColumns):
    __tablename__ = "audit_archive"


def entry_dict(entry: Any) -> dict[str, Any]:
    """An entry's columns as a mapping (what the hash rule and the answers read)."""
    return {column.key: getattr(entry, column.key) for column in entry.__table__.columns}
