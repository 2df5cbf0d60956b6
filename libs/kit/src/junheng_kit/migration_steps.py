"""Frozen migration steps for the kit's tables, called by each database's first migration.

Migrations are history: these functions never change. When the kit's tables change, add
`create_kit_tables_v2` (or an alter step) here and a new migration in every service calling it.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op


def create_kit_tables_v1() -> None:
    """outbox_message, processed_message (the inbox) and idempotency_record, as of 2026-11."""
    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint("client_id", "key", name=op.f("uq_idempotency_record_client_id_key")),
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_message_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "processed_message",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processed_message")),
        sa.UniqueConstraint(
            "consumer", "event_id", name=op.f("uq_processed_message_consumer_event_id")
        ),
    )


def drop_kit_tables_v1() -> None:
    op.drop_table("processed_message")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_sent_at"))

    op.drop_table("outbox_message")
    op.drop_table("idempotency_record")


def add_idempotency_claims_v2() -> None:
    """idempotency_record claims (2026-12): `state` (pending | done; existing rows are answers),
    the claim's `owner` and the end of its lease `expires_at`."""
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=10), nullable=False, server_default="done")
        )
        batch_op.add_column(sa.Column("owner", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.alter_column("state", server_default=None)  # the kit always writes it


def drop_idempotency_claims_v2() -> None:
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("owner")
        batch_op.drop_column("state")


def create_audit_tables_v1() -> None:
    """audit_entry, audit_head (its row 1 at the genesis) and audit_archive, as of 2026-12
    (junheng_kit.audit)."""
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("on_behalf_of", sa.String(length=128), nullable=True),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("record_ids", sa.JSON(), nullable=True),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("query_digest", sa.String(length=64), nullable=True),
        sa.Column("student_keys", sa.Text(), nullable=True),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=8), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=True),
        sa.Column("entry_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_entry_seq")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_audit_entry_entry_hash")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_recorded_at"), ["recorded_at"])
        batch_op.create_index(batch_op.f("ix_audit_entry_county_code"), ["county_code"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "head_hash": "0" * 64}])
    op.create_table(
        "audit_archive",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("first_seq", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("first_prev_hash", sa.String(length=64), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=False),
        sa.Column("file_digest", sa.String(length=64), nullable=False),
        sa.Column("archived_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_archive")),
        sa.UniqueConstraint("last_seq", name=op.f("uq_audit_archive_last_seq")),
    )


def drop_audit_tables_v1() -> None:
    op.drop_table("audit_archive")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_county_code"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_recorded_at"))
    op.drop_table("audit_entry")


@contextmanager
def sqlite_foreign_keys_off() -> Iterator[None]:
    """Around a SQLite table rebuild (batch mode) whose dropped old table other tables reference
    (2026-12: enrollment e0016, assistance a0013): foreign keys are off while it is rebuilt (a
    pragma SQLite takes only between transactions: the revisions before are committed first),
    `PRAGMA foreign_key_check` once it is in place (a `RuntimeError` naming the first orphans),
    then on again. Other dialects run the body as it is."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("COMMIT")
        op.execute("PRAGMA foreign_keys = OFF")
        op.execute("BEGIN IMMEDIATE")
    yield
    if sqlite:
        orphans = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").all()
        if orphans:
            raise RuntimeError(f"rows referencing a missing row after the rebuild: {orphans[:5]}")
        op.execute("COMMIT")
        op.execute("PRAGMA foreign_keys = ON")
        op.execute("BEGIN IMMEDIATE")


def rewrite_in_batches(
    table: sa.TableClause,
    key: str,
    columns: Sequence[str],
    change: Callable[[Sequence[sa.Row[Any]]], list[dict[str, Any]]],
    *,
    where: sa.ColumnElement[bool] | None = None,
    batch: int = 1000,
) -> int:
    """Rewrite every row (matching `where`) in place, `batch` rows at a time in `key` order
    (2026-12: the encryption migrations a0013, a0016, e0016, s0011): each batch is read as
    `(key, *columns)` rows after the last key seen, `change(rows)` gives each row's new values
    (column → value, one dict per row, the same columns in each), and one executemany UPDATE
    writes them back by key. Memory stays one batch whatever the table's size, and the walk
    by key reads no row twice. → the rows rewritten."""
    bind = op.get_bind()
    after: Any = None
    done = 0
    while True:
        query = sa.select(table.c[key], *(table.c[c] for c in columns))
        if where is not None:
            query = query.where(where)
        if after is not None:
            query = query.where(table.c[key] > after)
        rows = bind.execute(query.order_by(table.c[key]).limit(batch)).all()
        if not rows:
            return done
        changed = change(rows)
        if changed:
            statement = (
                sa.update(table)
                .where(table.c[key] == sa.bindparam("row_key"))
                .values({name: sa.bindparam(f"new_{name}") for name in changed[0]})
            )
            bind.execute(
                statement,
                [
                    {"row_key": row[0], **{f"new_{k}": v for k, v in new.items()}}
                    for row, new in zip(rows, changed, strict=True)
                ],
            )
        done += len(rows)
        after = rows[-1][0]
