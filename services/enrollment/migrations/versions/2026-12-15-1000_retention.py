"""retention rules, legal holds and purge records

Revision ID: e0015
Revises: e0014
Create Date: 2026-12-15 10:00:00

Issue 20 item 4: `retention_rule` holds the periods a bureau sets per kind of record (effective-
dated, cited; none is seeded: no source gives one, so nothing is purged until a rule exists),
`legal_hold` the holds (released, never deleted), `purge_record` the append-only record of what
each purge did, `purged_record` which applications a purge already pseudonymised, and
`purge_lease` the lease that lets one replica purge a county at a time.
"""

from collections.abc import Sequence

from junheng_kit.retention import migration

revision: str = "e0015"
down_revision: str | None = "e0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    migration.create_tables_v1()


def downgrade() -> None:
    migration.drop_tables_v1()
