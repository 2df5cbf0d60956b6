"""school national codes and private share caps

Revision ID: e0008
Revises: e0007
Create Date: 2026-12-08 10:00:00

Issue 19: a school's 办学类型, 城乡分类代码, 统计用区划代码 and 办学性质 (公办/民办), nullable so
every school registered before keeps its row as it was; and the county's cap on the private
share of pupils (`private_share_cap`, append-only, no row until a county sets one).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0008"
down_revision: str | None = "e0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(sa.Column("school_type", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("urban_rural_code", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("division_code", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("ownership", sa.String(length=7), nullable=True))
    op.create_table(
        "private_share_cap",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("cap", sa.String(length=8), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_private_share_cap")),
    )
    with op.batch_alter_table("private_share_cap", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_private_share_cap_county_code"), ["county_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("private_share_cap", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_private_share_cap_county_code"))
    op.drop_table("private_share_cap")
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("ownership")
        batch_op.drop_column("division_code")
        batch_op.drop_column("urban_rural_code")
        batch_op.drop_column("school_type")
