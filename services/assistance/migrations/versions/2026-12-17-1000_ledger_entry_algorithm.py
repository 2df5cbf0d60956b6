"""each lookup ledger entry names its hash algorithm

Revision ID: a0014
Revises: a0013
Create Date: 2026-12-17 10:00:00

Issue 20 item 5 (国密 profile): `ledger_entry.algorithm` is the hash that links the entry
(`sha256`, or `sm3` for entries appended under JUNHENG_CRYPTO_PROFILE=guomi;
junheng_kit.agency.ledger_rules). Every entry stored before was chained with SHA-256: the server
default says so, and their bytes and hashes are unchanged. The downgrade drops the column: run it
only while every entry is SHA-256 (an SM3 entry would no longer verify).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a0014"
down_revision: str | None = "a0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_entry") as batch:
        batch.add_column(
            sa.Column("algorithm", sa.String(length=8), server_default="sha256", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_entry") as batch:
        batch.drop_column("algorithm")
