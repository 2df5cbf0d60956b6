"""The retention tables (junheng_kit.retention.models) as a service's migration creates them:
one step shared by every service that keeps retention, so their tables are the same.

    from junheng_kit.retention import migration

    def upgrade() -> None:
        migration.create_tables_v1()

A later change to the tables is a new step (`…_v2`) each service's next migration calls; a step
once released is never edited (migrations already run have its DDL).
"""

import sqlalchemy as sa
from alembic import op


def create_tables_v1() -> None:
    """retention_rule, legal_hold, purge_record, purged_record and purge_lease (2026-12)."""
    op.create_table(
        "legal_hold",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=True),
        sa.Column("record_key", sa.String(length=64), nullable=True),
        sa.Column("student_key", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("placed_by", sa.String(length=100), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=100), nullable=True),
        sa.Column("release_reason", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_hold")),
    )
    with op.batch_alter_table("legal_hold", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_legal_hold_county_code"), ["county_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_legal_hold_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_legal_hold_record_key"), ["record_key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_legal_hold_student_key"), ["student_key"], unique=False
        )

    op.create_table(
        "purge_lease",
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("county_code", name=op.f("pk_purge_lease")),
    )
    op.create_table(
        "purge_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("rule_ref", sa.String(length=120), nullable=False),
        sa.Column("rule_source", sa.String(length=500), nullable=True),
        sa.Column("cutoff", sa.Date(), nullable=True),
        sa.Column("action", sa.String(length=12), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ran_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purge_record")),
    )
    with op.batch_alter_table("purge_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_purge_record_county_code"), ["county_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_purge_record_ran_at"), ["ran_at"], unique=False)

    op.create_table(
        "purged_record",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("record_key", sa.String(length=64), nullable=False),
        sa.Column("purge_id", sa.Uuid(), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "record_key", name=op.f("pk_purged_record")),
    )
    op.create_table(
        "retention_rule",
        sa.Column("scope_code", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("keep_months", sa.Integer(), nullable=True),
        sa.Column("keep_days", sa.Integer(), nullable=True),
        sa.Column("counted_from", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "scope_code", "kind", "effective_from", name=op.f("pk_retention_rule")
        ),
    )


def drop_tables_v1() -> None:
    op.drop_table("retention_rule")
    op.drop_table("purged_record")
    with op.batch_alter_table("purge_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purge_record_ran_at"))
        batch_op.drop_index(batch_op.f("ix_purge_record_county_code"))

    op.drop_table("purge_record")
    op.drop_table("purge_lease")
    with op.batch_alter_table("legal_hold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_hold_student_key"))
        batch_op.drop_index(batch_op.f("ix_legal_hold_record_key"))
        batch_op.drop_index(batch_op.f("ix_legal_hold_kind"))
        batch_op.drop_index(batch_op.f("ix_legal_hold_county_code"))

    op.drop_table("legal_hold")
