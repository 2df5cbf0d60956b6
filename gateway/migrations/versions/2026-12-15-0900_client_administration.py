"""client administration

Revision ID: g0006
Revises: g0005
Create Date: 2026-12-15 09:00:00

A client's policy that every audited call declares its purpose (`purpose_required`, in its
tokens), and the previous secret a `rotate-secret --grace-seconds N` keeps accepting until
`previous_secret_until`. Clients registered before require no purpose and have no previous
secret.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0006"
down_revision: str | None = "g0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("client") as batch:
        batch.add_column(
            sa.Column("purpose_required", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("previous_secret_hash", sa.String(length=255), nullable=True))
        batch.add_column(
            sa.Column("previous_secret_until", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("client") as batch:
        batch.drop_column("previous_secret_until")
        batch.drop_column("previous_secret_hash")
        batch.drop_column("purpose_required")
