"""children's and guardians' personal fields encrypted at rest, the citizen ID's blind index

Revision ID: e0016
Revises: e0015
Create Date: 2026-12-16 10:00:00

Issue 20 item 3: `application.citizen_id`, `student_number`, `child_name`, `home_address` and the
`guardian` document (name, relation, phone), and `admission.student_number`, become TEXT holding
`enc:1:<algorithm>:<key id>:<…>` (junheng_kit.fieldcrypt, the column's name as associated data);
inside the `household` document (still JSON) the 户籍 address and the 居住证 number become such
values (associated data `enrollment.application.household.hukou.address` / `….residence_permit.
number`);
`application.citizen_id_index` holds the keyed blind index of the normalised citizen ID, and the
one-application-per-child-and-year rule (`uq_application_year_child`) moves from
(year, child_key) to (year, citizen_id_index). Rows stored before are encrypted here in batches
under the keys of `ENROLLMENT_FIELD_KEYS` / `ENROLLMENT_BLIND_INDEX_KEY` (the dev-only keys
under JUNHENG_ENV=dev); a database with no such rows needs no keys. Downgrade decrypts back.
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from junheng_kit import fieldcrypt
from junheng_kit.fieldcrypt_columns import JSONWithEncryptedFields
from junheng_kit.migration_steps import rewrite_in_batches, sqlite_foreign_keys_off

revision: str = "e0016"
down_revision: str | None = "e0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
TEXT_COLUMNS = {  # application column → its plaintext type before e0016
    "citizen_id": sa.String(length=18),
    "student_number": sa.String(length=19),
    "child_name": sa.String(length=50),
    "home_address": sa.String(length=200),
}
PERSONAL = [*TEXT_COLUMNS, "guardian"]
HOUSEHOLD = JSONWithEncryptedFields(
    "enrollment.application.household", (("hukou", "address"), ("residence_permit", "number"))
)

application = sa.table(
    "application",
    sa.column("id", sa.Uuid()),
    sa.column("citizen_id_index", sa.String()),
    *(sa.column(name, sa.Text()) for name in PERSONAL),
    sa.column("household", sa.JSON()),
)
admission = sa.table(
    "admission", sa.column("application_id", sa.Uuid()), sa.column("student_number", sa.Text())
)


def _name(table: str, column: str) -> str:
    return f"enrollment.{table}.{column}"


def _rewrite(
    table: sa.TableClause,
    key: str,
    columns: list[str],
    pending: sa.ColumnElement[bool],
    change: Callable[[sa.Row[Any]], dict[str, Any]],
) -> None:
    """Every row matching `pending`, `BATCH` at a time in key order, rewritten by `change`
    (keys configured at the first row: an empty table needs none)."""
    configured = False

    def changed(rows: Sequence[sa.Row[Any]]) -> list[dict[str, Any]]:
        nonlocal configured
        if not configured:
            fieldcrypt.configure_from_env("ENROLLMENT")
            configured = True
        return [change(row) for row in rows]

    rewrite_in_batches(table, key, columns, changed, where=pending, batch=BATCH)


def _encrypted_application(row: sa.Row[Any]) -> dict[str, Any]:
    values = dict(zip(PERSONAL, row[1:-1], strict=True))
    out = {
        name: None if value is None else fieldcrypt.encrypt(value, _name("application", name))
        for name, value in values.items()
    }
    out["household"] = HOUSEHOLD.rewritten(row[-1], fieldcrypt.encrypt)
    out["citizen_id_index"] = fieldcrypt.blind_index(
        fieldcrypt.normalise_citizen_id(values["citizen_id"]), "citizen_id"
    )
    return out


def _decrypted_application(row: sa.Row[Any]) -> dict[str, Any]:
    values = dict(zip(PERSONAL, row[1:-1], strict=True))
    out = {
        name: None if value is None else fieldcrypt.decrypt(value, _name("application", name))
        for name, value in values.items()
    }
    out["household"] = HOUSEHOLD.rewritten(row[-1], fieldcrypt.decrypt)
    return out


# SQLite rebuilds `application` to change its columns; dropping the old table would orphan the
# admissions, checks and trail entries that reference it.
def upgrade() -> None:
    with sqlite_foreign_keys_off():
        _upgrade(op.get_bind().dialect.name == "postgresql")


def downgrade() -> None:
    with sqlite_foreign_keys_off():
        _downgrade(op.get_bind().dialect.name == "postgresql")


def _upgrade(postgres: bool) -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("citizen_id_index", sa.String(length=32), nullable=True))
        for name, kind in TEXT_COLUMNS.items():
            batch_op.alter_column(name, existing_type=kind, type_=sa.Text())
        batch_op.alter_column(
            "guardian",
            existing_type=sa.JSON(),
            type_=sa.Text(),
            **({"postgresql_using": "guardian::text"} if postgres else {}),
        )
    with op.batch_alter_table("admission", schema=None) as batch_op:
        batch_op.alter_column("student_number", existing_type=sa.String(length=19), type_=sa.Text())

    # the stored JSON text is encrypted as it is (it reads back as the same document)
    _rewrite(
        application,
        "id",
        [*PERSONAL, "household"],
        application.c.citizen_id_index.is_(None),
        _encrypted_application,
    )
    _rewrite(
        admission,
        "application_id",
        ["student_number"],
        admission.c.student_number.is_not(None)
        & ~admission.c.student_number.like(f"{fieldcrypt.PREFIX}%"),
        lambda row: {
            "student_number": fieldcrypt.encrypt(row[1], _name("admission", "student_number"))
        },
    )

    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.alter_column(
            "citizen_id_index", existing_type=sa.String(length=32), nullable=False
        )
        batch_op.drop_constraint("uq_application_year_child", type_="unique")
        batch_op.create_unique_constraint("uq_application_year_child", ["year", "citizen_id_index"])


def _downgrade(postgres: bool) -> None:
    _rewrite(
        application,
        "id",
        [*PERSONAL, "household"],
        application.c.citizen_id.like(f"{fieldcrypt.PREFIX}%"),
        _decrypted_application,
    )
    _rewrite(
        admission,
        "application_id",
        ["student_number"],
        admission.c.student_number.like(f"{fieldcrypt.PREFIX}%"),
        lambda row: {
            "student_number": fieldcrypt.decrypt(row[1], _name("admission", "student_number"))
        },
    )
    with op.batch_alter_table("admission", schema=None) as batch_op:
        batch_op.alter_column("student_number", existing_type=sa.Text(), type_=sa.String(length=19))
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_constraint("uq_application_year_child", type_="unique")
        batch_op.create_unique_constraint("uq_application_year_child", ["year", "child_key"])
        batch_op.drop_column("citizen_id_index")
        for name, kind in TEXT_COLUMNS.items():
            batch_op.alter_column(name, existing_type=sa.Text(), type_=kind)
        batch_op.alter_column(
            "guardian",
            existing_type=sa.Text(),
            type_=sa.JSON(),
            **({"postgresql_using": "guardian::json"} if postgres else {}),
        )
