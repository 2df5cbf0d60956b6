"""enrollment facts verified through data sharing

Revision ID: e0012
Revises: e0011
Create Date: 2026-12-12 10:00:00

Issue 22: 户籍, 居住证, 不动产 and 社保 asked of the agencies that hold them. Enrollment's own
hash-chained lookup ledger (`fact_ledger_entry`, `fact_ledger_head` with its one head row), each
application's checked conditions (`application_fact`), when they were checked
(`application_fact_check`) and a county's bulk re-check jobs (`fact_recheck_job`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0012"
down_revision: str | None = "e0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fact_ledger_entry",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("student_key", sa.String(length=32), nullable=True),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("agency", sa.String(length=10), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("legal_basis", sa.String(length=200), nullable=True),
        sa.Column("consent_ref", sa.String(length=100), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("answer_id", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_fact_ledger_entry")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_fact_ledger_entry_entry_hash")),
    )
    with op.batch_alter_table("fact_ledger_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fact_ledger_entry_student_key"), ["student_key"])
    head = op.create_table(
        "fact_ledger_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fact_ledger_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "head_hash": "0" * 64}])
    op.create_table(
        "application_fact",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("condition", sa.String(length=60), nullable=False),
        sa.Column("fact", sa.String(length=30), nullable=False),
        sa.Column("op", sa.String(length=3), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("rule", sa.String(length=300), nullable=False),
        sa.Column("proved", sa.String(length=300), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.Column("assertion_id", sa.String(length=64), nullable=True),
        sa.Column("ledger_seq", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_application_fact_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("application_id", "condition", name=op.f("pk_application_fact")),
    )
    op.create_table(
        "application_fact_check",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_application_fact_check_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_application_fact_check")),
    )
    op.create_table(
        "fact_recheck_job",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fact_recheck_job")),
    )
    with op.batch_alter_table("fact_recheck_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fact_recheck_job_county_code"), ["county_code"])


def downgrade() -> None:
    op.drop_table("fact_recheck_job")
    op.drop_table("application_fact_check")
    op.drop_table("application_fact")
    op.drop_table("fact_ledger_head")
    op.drop_table("fact_ledger_entry")
