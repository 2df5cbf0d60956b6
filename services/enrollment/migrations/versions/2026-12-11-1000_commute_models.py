"""county travel models for 统筹 trips

Revision ID: e0011
Revises: e0010
Create Date: 2026-12-11 10:00:00

Issue 19 (seed 000: 路途时间一般不超过半小时): a county's travel model — mode (walking |
school_bus), speed and detour factor — from which the 统筹 proposal estimates each offer's trip
(`commute_model`, append-only; no row until a county sets one: no source gives a value).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0011"
down_revision: str | None = "e0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commute_model",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("speed_kmh", sa.String(length=8), nullable=False),
        sa.Column("detour_factor", sa.String(length=8), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commute_model")),
    )
    with op.batch_alter_table("commute_model", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commute_model_county_code"), ["county_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("commute_model", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commute_model_county_code"))
    op.drop_table("commute_model")
