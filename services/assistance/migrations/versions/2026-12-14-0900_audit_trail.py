"""audit trail

Revision ID: a0011
Revises: a0010
Create Date: 2026-12-14 09:00:00

The audit trail of personal-data access and administrative acts (junheng_kit.audit):
audit_entry (appended un-chained, linked by the chainer), audit_head (row 1 at the genesis) and
audit_archive (segments archived past the retention).
"""

from collections.abc import Sequence

from junheng_kit.migration_steps import create_audit_tables_v1, drop_audit_tables_v1

revision: str = "a0011"
down_revision: str | None = "a0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_audit_tables_v1()


def downgrade() -> None:
    drop_audit_tables_v1()
