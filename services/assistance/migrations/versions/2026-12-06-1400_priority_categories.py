"""priority categories

Revision ID: a0009
Revises: a0008
Create Date: 2026-12-06 14:00:00

Seed 000 item 12 (Inner Mongolia): "完善孤儿、事实无人抚养儿童、农村留守儿童、困境儿童精准摸排机制,
加强教育保障和关爱保护,优先保障寄宿、交通、营养需求". A programme version now names the categories
it serves first (`programme.priority_categories`, [] none), and each 应助尽助 job marks the awards
of pupils an agency lists in one of them (`award.priority`).

Seeded: a new version of `lodging_subsidy` (两免两补, Inner Mongolia — the boarding programme of
the same seed) serving those four categories first, effective from the date of the version it
amends (the newest), so every year that version covered reads it. Meals: the national nutrition programme
covers every pupil of a participating area, a scope this provincial text cannot amend; transport:
no provincial programme exists — a county's transport programme names its priority categories
when the county defines it (PUT /v1/programmes/{code}).
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

import sqlalchemy as sa
from alembic import op

revision: str = "a0009"
down_revision: str | None = "a0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEEDED = datetime(2026, 12, 6, tzinfo=UTC)
LODGING_PRIORITY = UUID("0193a000-0000-7000-8000-000000000200")
SEED_000_PRIORITY = ["orphan", "de_facto_unsupported", "left_behind_child", "hardship_child"]
SOURCE = (
    "domain.md §4.1: 两免两补 lodging subsidy for boarders (PROV-NM, seed 000), amount UNCONF: a "
    "county publishes its standard before any award; priority: seed 000 item 12 "
    "(孤儿、事实无人抚养儿童、农村留守儿童、困境儿童 … 优先保障寄宿、交通、营养需求)"
)


def upgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "priority_categories", sa.JSON(), nullable=False, server_default=sa.text("'[]'")
            )
        )
    with op.batch_alter_table("award", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    seed_lodging_priority()


def seed_lodging_priority() -> None:
    """lodging_subsidy's newest version again, with seed 000's priority categories: the next
    version number, effective from the same date, so it replaces that version wherever it was
    in force (in the seeded catalogue: from 2019-09-01, every year the programme covers)."""
    programme = sa.table(
        "programme",
        *(
            sa.column(name, kind)
            for name, kind in [
                ("id", sa.Uuid()),
                ("code", sa.String()),
                ("version", sa.Integer()),
                ("name", sa.String()),
                ("kind", sa.String()),
                ("scope_code", sa.String()),
                ("benefit", sa.String()),
                ("auto", sa.Boolean()),
                ("eligible_categories", sa.JSON()),
                ("priority_categories", sa.JSON()),
                ("publicity_shows_category", sa.Boolean()),
                ("effective_from", sa.Date()),
                ("source", sa.String()),
                ("changed_by", sa.String()),
                ("created_at", sa.DateTime(timezone=True)),
            ]
        ),
    )
    newest = (
        op.get_bind()
        .execute(
            sa.select(programme)
            .where(programme.c.code == "lodging_subsidy")
            .order_by(programme.c.version.desc())
            .limit(1)
        )
        .first()
    )
    if newest is None:  # no lodging_subsidy in this catalogue: nothing to amend
        return
    op.bulk_insert(
        programme,
        [
            {
                "id": LODGING_PRIORITY,
                "code": "lodging_subsidy",
                "version": int(newest.version) + 1,
                "name": newest.name,
                "kind": newest.kind,
                "scope_code": newest.scope_code,
                "benefit": newest.benefit,
                "auto": bool(newest.auto),
                "eligible_categories": list(newest.eligible_categories),
                "priority_categories": SEED_000_PRIORITY,
                "publicity_shows_category": bool(newest.publicity_shows_category),
                "effective_from": newest.effective_from,
                "source": SOURCE,
                "changed_by": "seed:a0009",
                "created_at": SEEDED,
            }
        ],
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM programme WHERE changed_by = 'seed:a0009'"))
    with op.batch_alter_table("award", schema=None) as batch_op:
        batch_op.drop_column("priority")
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_column("priority_categories")
