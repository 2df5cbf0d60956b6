"""roster snapshots stored sealed

Revision ID: a0012
Revises: a0011
Create Date: 2026-12-16 12:00:00

Issue 20 item 3: the 应助尽助 job's roster snapshot (every enrolled pupil's citizen ID and name
of a county, one zstd Parquet blob) is stored encrypted as one value (`junheng_kit.fieldcrypt.
encrypt_bytes`, associated data `assistance.roster_snapshot.payload`), format
`parquet+zstd/2`. The snapshots stored before are plaintext: deleted here (a snapshot is a copy
of the tables; the next job of each county reads the tables and stores a sealed one). The
downgrade deletes the sealed ones for the same reason. No keys are needed.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a0012"
down_revision: str | None = "a0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM roster_snapshot")


def downgrade() -> None:
    op.execute("DELETE FROM roster_snapshot")
