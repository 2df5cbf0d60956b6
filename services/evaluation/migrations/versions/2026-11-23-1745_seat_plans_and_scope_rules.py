"""seat-plan read model and county scope rules

Revision ID: e0006
Revises: e0005
Create Date: 2026-11-23 17:45:00

- `seat_plan`: the read model of enrollment's `enrollment.school_seats.changed` (newest version
  per school, year and level): entry-grade classes, cap and seats, behind 班额 (item 5 of
  政府保障程度);
- `scope_rule`: a county's effective-dated scope rules of domain.md §5.1 (teaching-point
  cut-off, combined-school pupil weights), UNCONF nationally, so empty until a county sets them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0006"
down_revision: str | None = "e0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seat_plan",
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("planned_classes", sa.Integer(), nullable=False),
        sa.Column("class_cap", sa.Integer(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source_event_id", sa.String(length=64), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_code", "year", "level", name=op.f("pk_seat_plan")),
    )
    with op.batch_alter_table("seat_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seat_plan_county_code"), ["county_code"], unique=False)

    op.create_table(
        "scope_rule",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scope_rule")),
        sa.UniqueConstraint(
            "county_code",
            "key",
            "effective_from",
            name=op.f("uq_scope_rule_county_code_key_effective_from"),
        ),
    )
    with op.batch_alter_table("scope_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scope_rule_county_code"), ["county_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("scope_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scope_rule_county_code"))
    op.drop_table("scope_rule")
    with op.batch_alter_table("seat_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seat_plan_county_code"))
    op.drop_table("seat_plan")
