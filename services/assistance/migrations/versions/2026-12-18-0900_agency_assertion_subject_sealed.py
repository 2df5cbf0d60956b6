"""agency assertions: found by the keyed blind index of the citizen ID, the subject hash sealed

Revision ID: a0016
Revises: a0015
Create Date: 2026-12-18 09:00:00

Issue 20 item 3. `agency_assertion.subject_sha256` held the plain sha256 of the citizen ID the
agency signed (the wire protocol's subject): anyone with the database could brute-force it
(region, birth date, three digits). It is now stored sealed (`junheng_kit.fieldcrypt`,
associated data `assistance.agency_assertion.subject_sha256`), without its index, and a new
`citizen_id_index` (the roster's keyed blind index of the ID, indexed) finds a person's
assertions.

Rows stored before: the hash sealed with `ASSISTANCE_FIELD_KEYS`; the index made from the
pupil's citizen ID (`student.citizen_id`, decrypted with the same keys, indexed with
`ASSISTANCE_BLIND_INDEX_KEY`) where the row names a pupil whose ID hashes to the stored subject;
NULL otherwise (a person asked about who was not on the roster: the ID is not held anywhere to
make it from). Empty tables need no keys. Downgrade unseals the hashes and drops the index.
"""

import hashlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from junheng_kit import fieldcrypt
from junheng_kit.migration_steps import rewrite_in_batches

revision: str = "a0016"
down_revision: str | None = "a0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
SUBJECT = "assistance.agency_assertion.subject_sha256"
STUDENT_CITIZEN_ID = "assistance.student.citizen_id"

ASSERTION = sa.table(
    "agency_assertion",
    sa.column("id", sa.Uuid()),
    sa.column("student_id", sa.Uuid()),
    sa.column("subject_sha256", sa.Text()),
    sa.column("citizen_id_index", sa.String(32)),
)
STUDENT = sa.table("student", sa.column("id", sa.Uuid()), sa.column("citizen_id", sa.Text()))


def _index_of(
    subject: str, student_id: Any, pupils: dict[Any, str], ring: fieldcrypt.Keyring
) -> str | None:
    """The pupil's ID's blind index, when the row names a pupil whose ID is the subject."""
    sealed = pupils.get(student_id)
    if sealed is None:
        return None
    citizen_id = fieldcrypt.decrypt(sealed, STUDENT_CITIZEN_ID, ring)
    if not citizen_id or hashlib.sha256(citizen_id.encode()).hexdigest() != subject:
        return None
    return fieldcrypt.blind_index(fieldcrypt.normalise_citizen_id(citizen_id), "citizen_id", ring)


def _rewrite(*, sealing: bool) -> None:
    """Every row's subject sealed (its index made) or unsealed, in batches of BATCH rows read by
    id, each written back by one executemany UPDATE."""
    connection = op.get_bind()
    if connection.scalar(sa.select(sa.func.count()).select_from(ASSERTION)) == 0:
        return
    ring = fieldcrypt.configure_from_env("ASSISTANCE")

    def changed(rows: Sequence[sa.Row[Any]]) -> list[dict[str, Any]]:
        if not sealing:
            return [
                {"subject_sha256": fieldcrypt.decrypt(subject, SUBJECT, ring)}
                for _, _, subject in rows
            ]
        ids = {row[1] for row in rows if row[1] is not None}
        pupils = dict(
            connection.execute(
                sa.select(STUDENT.c.id, STUDENT.c.citizen_id).where(STUDENT.c.id.in_(ids))
            ).all()
        )
        return [
            {
                "subject_sha256": fieldcrypt.encrypt(subject, SUBJECT, ring),
                "citizen_id_index": _index_of(subject, student_id, pupils, ring),
            }
            for _, student_id, subject in rows
        ]

    rewrite_in_batches(ASSERTION, "id", ["student_id", "subject_sha256"], changed, batch=BATCH)


def upgrade() -> None:
    with op.batch_alter_table("agency_assertion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agency_assertion_subject_sha256"))
        batch_op.add_column(sa.Column("citizen_id_index", sa.String(length=32), nullable=True))
        batch_op.alter_column(
            "subject_sha256",
            existing_type=sa.String(length=64),
            type_=sa.Text(),
            existing_nullable=False,
        )
    _rewrite(sealing=True)
    with op.batch_alter_table("agency_assertion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agency_assertion_citizen_id_index"), ["citizen_id_index"]
        )


def downgrade() -> None:
    with op.batch_alter_table("agency_assertion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agency_assertion_citizen_id_index"))
    _rewrite(sealing=False)
    with op.batch_alter_table("agency_assertion", schema=None) as batch_op:
        batch_op.drop_column("citizen_id_index")
        batch_op.alter_column(
            "subject_sha256",
            existing_type=sa.Text(),
            type_=sa.String(length=64),
            existing_nullable=False,
        )
        batch_op.create_index(batch_op.f("ix_agency_assertion_subject_sha256"), ["subject_sha256"])
