"""idempotency claims

Revision ID: e0006
Revises: e0005
Create Date: 2026-12-06 09:00:00

An Idempotency-Key is claimed in the database before its request runs and answered in the
request's own transaction (junheng_kit.idempotency): `state`, the claim's `owner` and the end
of its lease `expires_at`. Rows stored before are answers (`done`).
"""

from collections.abc import Sequence

from junheng_kit.migration_steps import add_idempotency_claims_v2, drop_idempotency_claims_v2

revision: str = "e0006"
down_revision: str | None = "e0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_idempotency_claims_v2()


def downgrade() -> None:
    drop_idempotency_claims_v2()
