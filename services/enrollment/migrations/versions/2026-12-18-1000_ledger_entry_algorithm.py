"""each lookup ledger entry names its hash algorithm

Revision ID: e0018
Revises: e0017
Create Date: 2026-12-18 10:00:00

Issue 20 item 5 (国密 profile): `fact_ledger_entry.algorithm` is the hash that links the entry
(`sha256`, or `sm3` for entries appended under JUNHENG_CRYPTO_PROFILE=guomi;
junheng_kit.agency.ledger_rules). Every entry stored before was chained with SHA-256: the server
default says so, and their bytes and hashes are unchanged. The downgrade drops the column: run it
only while every entry is SHA-256 (an SM3 entry would no longer verify).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0018"
down_revision: str | None = "e0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fact_ledger_entry") as batch:
        batch.add_column(
            sa.Column("algorithm", sa.String(length=8), server_default="sha256", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("fact_ledger_entry") as batch:
        batch.drop_column("algorithm")
