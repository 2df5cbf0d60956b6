"""agencies, assertions, category lists and the lookup ledger

Revision ID: a0003
Revises: a0002
Create Date: 2026-11-23 18:10:00
"""

from collections.abc import Sequence

revision: str = "a0003"
down_revision: str | None = "a0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
