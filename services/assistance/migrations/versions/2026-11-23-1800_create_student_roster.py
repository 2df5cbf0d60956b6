"""create student roster

Revision ID: a0002
Revises: a0001
Create Date: 2026-11-23 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a0002"
down_revision: str | None = "a0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "student",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("citizen_id", sa.String(length=18), nullable=False),
        sa.Column("student_key", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("gender", sa.String(length=6), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("level", sa.String(length=7), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("boarding", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student")),
        sa.UniqueConstraint("citizen_id", name=op.f("uq_student_citizen_id")),
        sa.UniqueConstraint("student_key", name=op.f("uq_student_student_key")),
    )
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_student_county_code"), ["county_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_student_school_code"), ["school_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_student_school_code"))
        batch_op.drop_index(batch_op.f("ix_student_county_code"))
    op.drop_table("student")
