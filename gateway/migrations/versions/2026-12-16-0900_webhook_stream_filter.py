"""webhook stream filter

Revision ID: g0007
Revises: g0006
Create Date: 2026-12-16 09:00:00

The event types each producer stream's fan-out durable is filtered on, one row per stream
(gateway/src/gateway/webhooks/interest.py): the row is also the lock that the replicas' changes
to the filter take turns on. Empty at first: each stream's row is written when its filter is
first set (from the subscriptions).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0007"
down_revision: str | None = "g0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_stream_filter",
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("types", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("stream", name=op.f("pk_webhook_stream_filter")),
    )


def downgrade() -> None:
    op.drop_table("webhook_stream_filter")
