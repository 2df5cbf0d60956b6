"""idempotency claims

Revision ID: g0002
Revises: g0001
Create Date: 2026-12-06 09:00:00

The kit's idempotency_record gains its claim columns in every database that has the kit's
tables (junheng_kit.idempotency): `state`, the claim's `owner` and the end of its lease.
"""

from collections.abc import Sequence

from junheng_kit.migration_steps import add_idempotency_claims_v2, drop_idempotency_claims_v2

revision: str = "g0002"
down_revision: str | None = "g0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_idempotency_claims_v2()


def downgrade() -> None:
    drop_idempotency_claims_v2()
