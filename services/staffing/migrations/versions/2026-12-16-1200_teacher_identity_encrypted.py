"""teachers' citizen IDs and names encrypted at rest

Revision ID: s0011
Revises: s0010
Create Date: 2026-12-16 12:00:00

Issue 20 item 3: `teacher.citizen_id` and `teacher.name` are stored encrypted
(`junheng_kit.fieldcrypt`: `enc:1:<algorithm>:<key id>:…`, the column's name as associated data),
and `teacher.citizen_id_index` (the ID's blind index, 32 hex) carries the uniqueness the ID had:
`uq_teacher_citizen_id` becomes `uq_teacher_citizen_id_index`.

Rows stored before are encrypted here in batches, with the keys of `STAFFING_FIELD_KEYS` /
`STAFFING_BLIND_INDEX_KEY` (the dev-only keys under JUNHENG_ENV=dev); an empty table needs no
keys. Downgrade decrypts them back (the same keys needed).
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from junheng_kit import fieldcrypt
from junheng_kit.migration_steps import rewrite_in_batches

revision: str = "s0011"
down_revision: str | None = "s0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {"citizen_id": "staffing.teacher.citizen_id", "name": "staffing.teacher.name"}
BATCH = 1000
TEACHER = sa.table(
    "teacher",
    sa.column("id", sa.Uuid()),
    sa.column("citizen_id", sa.Text()),
    sa.column("citizen_id_index", sa.String(32)),
    sa.column("name", sa.Text()),
)


def _rewrite(encrypting: bool) -> None:
    """Every row's ID and name encrypted (with the ID's blind index) or decrypted, in batches of
    BATCH rows read by id and written back by one executemany UPDATE each."""
    connection = op.get_bind()
    if connection.scalar(sa.select(sa.func.count()).select_from(TEACHER)) == 0:
        return
    ring = fieldcrypt.configure_from_env("STAFFING")

    def changed(rows: Sequence[sa.Row[Any]]) -> list[dict[str, Any]]:
        if not encrypting:
            return [
                {
                    "citizen_id": fieldcrypt.decrypt(citizen_id, COLUMNS["citizen_id"], ring),
                    "name": fieldcrypt.decrypt(name, COLUMNS["name"], ring),
                    "citizen_id_index": None,
                }
                for _, citizen_id, name in rows
            ]
        return [
            {
                "citizen_id": fieldcrypt.encrypt(citizen_id, COLUMNS["citizen_id"], ring),
                "name": fieldcrypt.encrypt(name, COLUMNS["name"], ring),
                "citizen_id_index": fieldcrypt.blind_index(
                    fieldcrypt.normalise_citizen_id(citizen_id), "citizen_id", ring
                ),
            }
            for _, citizen_id, name in rows
        ]

    rewrite_in_batches(TEACHER, "id", ["citizen_id", "name"], changed, batch=BATCH)


def upgrade() -> None:
    with op.batch_alter_table("teacher", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_teacher_citizen_id"), type_="unique")
        batch_op.add_column(sa.Column("citizen_id_index", sa.String(length=32), nullable=True))
        batch_op.alter_column(
            "citizen_id",
            existing_type=sa.String(length=18),
            type_=sa.Text(),
            existing_nullable=False,
        )
        batch_op.alter_column(
            "name", existing_type=sa.String(length=50), type_=sa.Text(), existing_nullable=False
        )
    _rewrite(encrypting=True)
    with op.batch_alter_table("teacher", schema=None) as batch_op:
        batch_op.alter_column(
            "citizen_id_index", existing_type=sa.String(length=32), nullable=False
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_teacher_citizen_id_index"), ["citizen_id_index"]
        )


def downgrade() -> None:
    with op.batch_alter_table("teacher", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_teacher_citizen_id_index"), type_="unique")
        batch_op.alter_column("citizen_id_index", existing_type=sa.String(length=32), nullable=True)
    _rewrite(encrypting=False)
    with op.batch_alter_table("teacher", schema=None) as batch_op:
        batch_op.drop_column("citizen_id_index")
        batch_op.alter_column(
            "name", existing_type=sa.Text(), type_=sa.String(length=50), existing_nullable=False
        )
        batch_op.alter_column(
            "citizen_id",
            existing_type=sa.Text(),
            type_=sa.String(length=18),
            existing_nullable=False,
        )
        batch_op.create_unique_constraint(batch_op.f("uq_teacher_citizen_id"), ["citizen_id"])
