"""create sheet imports

Revision ID: e0005
Revises: e0004
Create Date: 2026-11-23 18:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0005"
down_revision: str | None = "e0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sheet_import",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sheet_import")),
    )
    with op.batch_alter_table("sheet_import", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sheet_import_kind_content_sha256"),
            ["kind", "content_sha256"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("sheet_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sheet_import_kind_content_sha256"))
    op.drop_table("sheet_import")
