"""audit trail

Revision ID: g0005
Revises: g0004
Create Date: 2026-12-14 09:00:00

The gateway's audit trail (junheng_kit.audit): client registered/changed/removed, secret and
signing-key rotations, tokens issued or refused; and a client's declared default `purpose`
(put in its tokens as the `purpose` claim).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from junheng_kit.migration_steps import create_audit_tables_v1, drop_audit_tables_v1

revision: str = "g0005"
down_revision: str | None = "g0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_audit_tables_v1()
    with op.batch_alter_table("client") as batch:
        batch.add_column(sa.Column("purpose", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("client") as batch:
        batch.drop_column("purpose")
    drop_audit_tables_v1()
