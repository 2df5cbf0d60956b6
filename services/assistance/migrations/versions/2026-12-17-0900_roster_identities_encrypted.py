"""roster, list entries and review items: citizen IDs and names encrypted at rest

Revision ID: a0013
Revises: a0012
Create Date: 2026-12-17 09:00:00

Issue 20 item 3. Stored encrypted (`junheng_kit.fieldcrypt`: `enc:1:<algorithm>:<key id>:…`,
the column's name as associated data): `student.citizen_id`, `student.student_number`,
`student.name`; `category_list_entry.citizen_id` and `.name`; `review_item.list_citizen_id` and
`.list_name`. Blind indexes (32 hex) beside them carry the lookups and the uniqueness:
`student.citizen_id_index` (unique: `uq_student_citizen_id` becomes
`uq_student_citizen_id_index`), `student.student_number_index` (unique when present:
`uq_student_student_number` becomes `uq_student_student_number_index`),
`category_list_entry.citizen_id_index` (indexed: `ix_category_list_entry_citizen_id` becomes
`ix_category_list_entry_citizen_id_index`) and `name_born_index` on both the student and the
entry (the name as the 应助尽助 rules compare it — NFKC, no blanks, no middle dots — and the
birth date of the ID: the scan joins on it instead of decrypting).

Rows stored before are encrypted here in batches, with the keys of `ASSISTANCE_FIELD_KEYS` /
`ASSISTANCE_BLIND_INDEX_KEY` (the dev-only keys under JUNHENG_ENV=dev); empty tables need no
keys. Downgrade decrypts them back (the same keys needed). Roster snapshots (format 2 held the
IDs and names, format 3 the indexes) are deleted both ways: a copy, rebuilt by the next job.
"""

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from junheng_kit import fieldcrypt
from junheng_kit.migration_steps import rewrite_in_batches, sqlite_foreign_keys_off

revision: str = "a0013"
down_revision: str | None = "a0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
NAME_NOISE = r"[\s·•・‧.．]"  # identification.rules._NAME_NOISE when this revision was written


def _person_key(name: str, citizen_id: str) -> str:
    """identification.rules.person_key as of this revision: the name as compared, the ID's
    birth date."""
    return f"{re.sub(NAME_NOISE, '', unicodedata.normalize('NFKC', name))}\0{citizen_id[6:14]}"


def _index(kind: str, ring: fieldcrypt.Keyring) -> Callable[[str], str]:
    return lambda value: fieldcrypt.blind_index(fieldcrypt.normalise_citizen_id(value), kind, ring)


# table → (primary key type, encrypted column → associated data, index column → how made)
Indexer = Callable[[dict[str, Any], fieldcrypt.Keyring], str | None]
TABLES: dict[str, tuple[Any, dict[str, str], dict[str, Indexer]]] = {
    "student": (
        sa.Uuid(),
        {
            "citizen_id": "assistance.student.citizen_id",
            "student_number": "assistance.student.student_number",
            "name": "assistance.student.name",
        },
        {
            "citizen_id_index": lambda row, ring: _index("citizen_id", ring)(row["citizen_id"]),
            "student_number_index": lambda row, ring: (
                None
                if row["student_number"] is None
                else _index("student_number", ring)(row["student_number"])
            ),
            "name_born_index": lambda row, ring: fieldcrypt.blind_index(
                _person_key(row["name"], row["citizen_id"]), "name_born", ring
            ),
        },
    ),
    "category_list_entry": (
        sa.Integer(),
        {
            "citizen_id": "assistance.category_list_entry.citizen_id",
            "name": "assistance.category_list_entry.name",
        },
        {
            "citizen_id_index": lambda row, ring: _index("citizen_id", ring)(row["citizen_id"]),
            "name_born_index": lambda row, ring: fieldcrypt.blind_index(
                _person_key(row["name"], row["citizen_id"]), "name_born", ring
            ),
        },
    ),
    "review_item": (
        sa.Uuid(),
        {
            "list_citizen_id": "assistance.review_item.list_citizen_id",
            "list_name": "assistance.review_item.list_name",
        },
        {},
    ),
}
LENGTHS = {
    "citizen_id": 18,
    "student_number": 19,
    "name": 50,
    "list_citizen_id": 18,
    "list_name": 50,
}
NULLABLE = {"student_number"}


def _rewrite(name: str, *, encrypting: bool) -> None:
    """Every row's encrypted columns encrypted (their blind indexes computed) or decrypted, in
    batches of BATCH rows read by id, each written back by one executemany UPDATE."""
    key_type, columns, indexes = TABLES[name]
    table = sa.table(
        name,
        sa.column("id", key_type),
        *(sa.column(c, sa.Text()) for c in columns),
        *(sa.column(c, sa.String(32)) for c in indexes),
    )
    connection = op.get_bind()
    if connection.scalar(sa.select(sa.func.count()).select_from(table)) == 0:
        return
    ring = fieldcrypt.configure_from_env("ASSISTANCE")
    change = fieldcrypt.encrypt if encrypting else fieldcrypt.decrypt

    def changed(rows: Sequence[sa.Row[Any]]) -> list[dict[str, Any]]:
        out = []
        for _, *values in rows:
            stored = dict(zip(columns, values, strict=True))
            new: dict[str, Any] = {
                c: None if v is None else change(v, columns[c], ring) for c, v in stored.items()
            }
            if encrypting:  # the indexes are made of the plaintext
                new |= {c: make(stored, ring) for c, make in indexes.items()}
            out.append(new)
        return out

    rewrite_in_batches(table, "id", list(columns), changed, batch=BATCH)


# SQLite rebuilds `student` (and the others) to change their columns; dropping the old table
# would orphan the awards, assertions and review items that reference it.
def upgrade() -> None:
    with sqlite_foreign_keys_off():
        _upgrade()


def downgrade() -> None:
    with sqlite_foreign_keys_off():
        _downgrade()


def _upgrade() -> None:
    op.execute("DELETE FROM roster_snapshot")
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_student_citizen_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_student_student_number"), type_="unique")
    with op.batch_alter_table("category_list_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_category_list_entry_citizen_id"))
    for name, (_, columns, indexes) in TABLES.items():
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column in indexes:
                batch_op.add_column(sa.Column(column, sa.String(length=32), nullable=True))
            for column in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sa.String(length=LENGTHS[column]),
                    type_=sa.Text(),
                    existing_nullable=column in NULLABLE,
                )
        _rewrite(name, encrypting=True)
    with op.batch_alter_table("student", schema=None) as batch_op:
        for column in ("citizen_id_index", "name_born_index"):
            batch_op.alter_column(column, existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_student_citizen_id_index"), ["citizen_id_index"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_student_student_number_index"), ["student_number_index"]
        )
    with op.batch_alter_table("category_list_entry", schema=None) as batch_op:
        for column in ("citizen_id_index", "name_born_index"):
            batch_op.alter_column(column, existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index(
            batch_op.f("ix_category_list_entry_citizen_id_index"), ["citizen_id_index"]
        )


def _downgrade() -> None:
    op.execute("DELETE FROM roster_snapshot")
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_student_student_number_index"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_student_citizen_id_index"), type_="unique")
    with op.batch_alter_table("category_list_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_category_list_entry_citizen_id_index"))
    for name, (_, columns, indexes) in TABLES.items():
        _rewrite(name, encrypting=False)
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column in indexes:
                batch_op.drop_column(column)
            for column in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sa.Text(),
                    type_=sa.String(length=LENGTHS[column]),
                    existing_nullable=column in NULLABLE,
                )
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_student_citizen_id"), ["citizen_id"])
        batch_op.create_unique_constraint(
            batch_op.f("uq_student_student_number"), ["student_number"]
        )
    with op.batch_alter_table("category_list_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_category_list_entry_citizen_id"), ["citizen_id"])
