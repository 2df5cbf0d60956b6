"""应助尽助 roster snapshots: a per-county roster version and the job's columnar snapshot

Revision ID: a0006
Revises: a0005
Create Date: 2026-11-23 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a0006"
down_revision: str | None = "a0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roster_version",
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("county_code", name=op.f("pk_roster_version")),
    )
    op.create_table(
        "roster_snapshot",
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("county_code", name=op.f("pk_roster_snapshot")),
    )


def downgrade() -> None:
    op.drop_table("roster_snapshot")
    op.drop_table("roster_version")
