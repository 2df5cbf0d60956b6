"""aid programmes, standards, calendar and awards

Revision ID: a0004
Revises: a0003
Create Date: 2026-11-23 18:20:00
"""

from collections.abc import Sequence

revision: str = "a0004"
down_revision: str | None = "a0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
