"""assistance retention rules, legal holds and purge records

Revision ID: a0015
Revises: a0014
Create Date: 2026-12-17 11:00:00

Issue 20 item 4 in assistance: the kit's retention tables (junheng_kit.retention.models) as
enrollment has them (e0015). `retention_rule` holds the periods a bureau sets per kind of record
(effective-dated, cited; none is seeded: no source the project holds gives the aid file's
period, so nothing is purged until a bureau sets one), `legal_hold` the holds (released, never
deleted), `purge_record` the append-only record of what each purge did, `purged_record` which
students a purge already pseudonymised, and `purge_lease` the lease that lets one replica purge
a county at a time.
"""

from collections.abc import Sequence

from junheng_kit.retention import migration

revision: str = "a0015"
down_revision: str | None = "a0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    migration.create_tables_v1()


def downgrade() -> None:
    migration.drop_tables_v1()
