"""webhook secret rotation

Revision ID: g0004
Revises: g0003
Create Date: 2026-12-10 09:00:00

A subscription keeps its previous signing secret (sealed) and the instant until which it still
signs beside the new one, after `POST /v1/webhooks/{id}/secret` (gateway/src/gateway/webhooks).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0004"
down_revision: str | None = "g0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_subscription") as batch:
        batch.add_column(sa.Column("previous_sealed_secret", sa.LargeBinary(), nullable=True))
        batch.add_column(
            sa.Column("previous_secret_until", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_subscription") as batch:
        batch.drop_column("previous_secret_until")
        batch.drop_column("previous_sealed_secret")
