"""应助尽助 identification jobs, review queue and coverage

Revision ID: a0005
Revises: a0004
Create Date: 2026-11-23 18:30:00
"""

from collections.abc import Sequence

revision: str = "a0005"
down_revision: str | None = "a0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
