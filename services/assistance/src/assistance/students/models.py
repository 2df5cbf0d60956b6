"""Student roster (学生名册) of the assistance service: who may be aided, at which school.

Tables and columns (stable; change only by a new migration):

- `student` — one row per child, keyed by `id` (UUID, the id in URLs). `citizen_id` (18
  characters, stored encrypted: `junheng_kit.fieldcrypt`) with `citizen_id_index` (its blind
  index, 32 hex, unique: a child is on the roster once, across the counties one deployment
  serves; every lookup by ID goes through it), `student_key` (32 hex:
  `junheng_kit.identifiers.student_key` with the shared pseudonym key, unique; the only identity
  events carry), `student_number` (全国学籍号, 19, nullable, stored encrypted) with
  `student_number_index` (its blind index, unique when present: the key for exchange with the
  national 学籍 system), `name` (stored encrypted) with `name_born_index` (the blind index of
  the name as the 应助尽助 rules compare it and the birth date in the ID:
  `identification.rules.person_key` — the scan joins on it, nothing decrypted), `gender`
  (male|female), `birth_date`; current place: `county_code`, `school_code`, `level`
  (primary|junior), `grade` (1–9), `boarding` (寄宿生); `status` (enrolled | transferred_out |
  left), `source` (import | enrollment: from `enrollment.admission.confirmed`), `version`
  (optimistic lock, the ETag), `created_at`, `updated_at`.
- `pending_placement` — an `enrollment.admission.confirmed` placement for a `student_key` not yet
  on the roster; applied (and removed) when an import or a registration brings the child.
- `roster_version` — per county, a counter bumped in the transaction of every write to that
  county's `student` rows (registration, import, admission event, transfer out and in, any ORM
  change: `students/versions.py`); the 应助尽助 job's roster snapshot is current only while it
  carries the same number.

Personal data: `citizen_id`, `student_number` (a G 学籍号 is G + the citizen ID) and `name` leave
the service only to callers holding `assistance:pii` within their jurisdiction; lists and logs
mask them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Boolean, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistance.db import Base
from assistance.identification.rules import person_key
from junheng_kit.db import UtcDateTime
from junheng_kit.fieldcrypt import Encrypted, blind_index, normalise_citizen_id
from junheng_kit.fieldcrypt_columns import blind_index_of
from junheng_kit.i18n import t
from junheng_kit.ids import uuid7
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow

# associated data of the encrypted columns (never renamed once values are stored)
CITIZEN_ID = "assistance.student.citizen_id"
STUDENT_NUMBER = "assistance.student.student_number"
NAME = "assistance.student.name"
PERSON = "name_born"  # the blind index kind of `person_key` (name as compared, birth date)


def citizen_id_index(citizen_id: str) -> str:
    """The blind index the roster finds (and keeps unique) a citizen ID by (an agency list's
    entries carry the same one: the scan joins on it)."""
    return blind_index(normalise_citizen_id(citizen_id), "citizen_id")


def student_number_index(student_number: str) -> str:
    """The blind index of a 学籍号 (normalised as an ID: trimmed, upper case)."""
    return blind_index(normalise_citizen_id(student_number), "student_number")


def name_born_index(name: str, citizen_id: str) -> str:
    """The blind index of a name as the 应助尽助 rules compare it, with the ID's birth date."""
    return blind_index(person_key(name, citizen_id), PERSON)


def _citizen_id_index(context: Any) -> str:
    return citizen_id_index(context.get_current_parameters()["citizen_id"])


def _student_number_index(context: Any) -> str | None:
    number = context.get_current_parameters().get("student_number")
    return None if number is None else student_number_index(number)


def _name_born_index(context: Any) -> str:
    row = context.get_current_parameters()
    return name_born_index(row["name"], row["citizen_id"])


ON_ROSTER = FieldError(
    "citizen_id",
    "citizen_id_unique",
    t("请导入表格以更新儿童信息", "import a sheet to update a child"),
)
ON_ROSTER_DETAIL = t("该儿童已在学籍名册中", "this child is already on the roster")
NUMBER_ON_ROSTER = FieldError(
    "student_number",
    "student_number_unique",
    t("另一名学生已使用该学籍号", "another child on the roster has this 学籍号 (student number)"),
)
NUMBER_ON_ROSTER_DETAIL = t(
    "该学籍号属于名册中的另一名儿童",
    "this 学籍号 (student number) belongs to another child on the roster",
)


class Student(Base):
    """学生: one child on the roster and their current school."""

    __tablename__ = "student"
    __table_args__ = (
        # put on the roster by a concurrent request after this one's check (the key is the
        # ID's pseudonym: whichever of the two the database reports, it is the same child;
        # the ID's blind index: the ID itself is stored encrypted)
        UniqueConstraint("citizen_id_index", info=on_violation(ON_ROSTER, detail=ON_ROSTER_DETAIL)),
        UniqueConstraint("student_key", info=on_violation(ON_ROSTER, detail=ON_ROSTER_DETAIL)),
        # one 学籍号, one child (several rows may have none)
        UniqueConstraint(
            "student_number_index",
            info=on_violation(NUMBER_ON_ROSTER, detail=NUMBER_ON_ROSTER_DETAIL),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    citizen_id: Mapped[str] = mapped_column(Encrypted(CITIZEN_ID))
    # the blind indexes are computed from the values for ORM and Core inserts; an UPDATE that
    # changes a value sets its index too (students.sheet)
    citizen_id_index: Mapped[str] = mapped_column(
        String(32),
        default=_citizen_id_index,
        info=blind_index_of("citizen_id", CITIZEN_ID, "citizen_id", normalise_citizen_id),
    )
    student_key: Mapped[str] = mapped_column(String(32))
    student_number: Mapped[str | None] = mapped_column(Encrypted(STUDENT_NUMBER))
    student_number_index: Mapped[str | None] = mapped_column(
        String(32),
        default=_student_number_index,
        info=blind_index_of(
            "student_number", STUDENT_NUMBER, "student_number", normalise_citizen_id
        ),
    )
    name: Mapped[str] = mapped_column(Encrypted(NAME))
    name_born_index: Mapped[str] = mapped_column(
        String(32),
        default=_name_born_index,
        info=blind_index_of("name", NAME, PERSON, person_key, also=(("citizen_id", CITIZEN_ID),)),
    )
    gender: Mapped[str] = mapped_column(String(6))
    birth_date: Mapped[date] = mapped_column(Date)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    school_code: Mapped[str] = mapped_column(String(10), index=True)
    level: Mapped[str] = mapped_column(String(7))
    grade: Mapped[int] = mapped_column(Integer)
    boarding: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="enrolled")
    source: Mapped[str] = mapped_column(String(10), default="import")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class PendingPlacement(Base):
    """录取确认 waiting for its child: enrollment names the child only by `student_key`."""

    __tablename__ = "pending_placement"

    student_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(64))
    county_code: Mapped[str] = mapped_column(String(6))
    school_code: Mapped[str] = mapped_column(String(10))
    level: Mapped[str] = mapped_column(String(7))
    grade: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RosterVersion(Base):
    """名册版本: how often a county's roster rows were written (snapshots compare it)."""

    __tablename__ = "roster_version"

    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
