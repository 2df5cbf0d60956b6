"""agencies, assertions, category lists and the lookup ledger

Revision ID: a0003
Revises: a0002
Create Date: 2026-11-23 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a0003"
down_revision: str | None = "a0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_entry",
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
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_entry")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_ledger_entry_entry_hash")),
    )
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_entry_student_key"), ["student_key"])
    head = op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "head_hash": "0" * 64}])
    op.create_table(
        "agency_assertion",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("assertion_id", sa.String(length=64), nullable=False),
        sa.Column("agency", sa.String(length=10), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=True),
        sa.Column("subject_sha256", sa.String(length=64), nullable=False),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("name_matches", sa.Boolean(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=True),
        sa.Column("signature", sa.String(length=100), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("ledger_seq", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_agency_assertion_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_assertion")),
        sa.UniqueConstraint(
            "agency", "assertion_id", name=op.f("uq_agency_assertion_agency_assertion_id")
        ),
    )
    with op.batch_alter_table("agency_assertion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agency_assertion_student_id"), ["student_id"])
        batch_op.create_index(batch_op.f("ix_agency_assertion_subject_sha256"), ["subject_sha256"])
    op.create_table(
        "category_list",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency", sa.String(length=10), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("list_id", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("entries_sha256", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_list")),
    )
    op.create_table(
        "category_list_entry",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_ref", sa.Uuid(), nullable=False),
        sa.Column("citizen_id", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("assertion_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_ref"],
            ["category_list.id"],
            name=op.f("fk_category_list_entry_list_ref_category_list"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_list_entry")),
    )
    with op.batch_alter_table("category_list_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_category_list_entry_list_ref"), ["list_ref"])
        batch_op.create_index(batch_op.f("ix_category_list_entry_citizen_id"), ["citizen_id"])


def downgrade() -> None:
    with op.batch_alter_table("category_list_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_category_list_entry_citizen_id"))
        batch_op.drop_index(batch_op.f("ix_category_list_entry_list_ref"))
    op.drop_table("category_list_entry")
    op.drop_table("category_list")
    with op.batch_alter_table("agency_assertion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agency_assertion_subject_sha256"))
        batch_op.drop_index(batch_op.f("ix_agency_assertion_student_id"))
    op.drop_table("agency_assertion")
    op.drop_table("ledger_head")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entry_student_key"))
    op.drop_table("ledger_entry")
