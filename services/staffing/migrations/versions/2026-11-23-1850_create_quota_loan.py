"""create quota_loan (编制周转池 loans)

Revision ID: s0004
Revises: s0003
Create Date: 2026-11-23 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0004"
down_revision: str | None = "s0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quota_loan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("lent_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.Column("lent_by", sa.String(length=100), nullable=False),
        sa.Column("returned_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_loan")),
    )
    op.create_index(op.f("ix_quota_loan_county_code"), "quota_loan", ["county_code"])
    op.create_index(op.f("ix_quota_loan_school_code"), "quota_loan", ["school_code"])


def downgrade() -> None:
    op.drop_index(op.f("ix_quota_loan_school_code"), table_name="quota_loan")
    op.drop_index(op.f("ix_quota_loan_county_code"), table_name="quota_loan")
    op.drop_table("quota_loan")
