"""Tables of the agency exchange: verified answers (assertions) and fetched category lists.

- `agency_assertion` — one verified answer of a partner agency about one person (or, with
  `source="manual"`, the document a reviewer saw while the agency was down). The citizen ID
  itself is never stored here: `citizen_id_index` is its keyed blind index (the roster's and the
  lists' `citizen_id_index`; assertions about a person are found by it), `subject_sha256` the
  protocol's plain sha256 of the ID the agency signed, stored sealed (`junheng_kit.fieldcrypt`:
  an unkeyed hash of an ID is brute-forced from region, birth date and three digits). Rows
  stored before a0016 whose pupil was not on the roster have no index (NULL).
  The index is made of an ID the row does not hold: after a 国密 profile switch `reencrypt`
  copies the pupil's new index onto the answers about a pupil (`repository.reindex_assertions`);
  REVIEW(#20): an answer about a person never on the roster keeps the old profile's index, so
  the child export by citizen ID no longer finds it. `categories` is the minimal
  answer: `[{"category", "grade", "valid_from", "valid_until"}]` (dates ISO strings).
  `key_id`/`signature` are the agency's (null for manual evidence, whose `evidence` holds
  `{kind, reference, reviewer, note}`). `ledger_seq` is the ledger entry of the lookup.
- `category_list` — an agency's signed list for a region; the newest per (agency, region_code)
  by `fetched_at` is the current one. `category_list_entry` holds its rows: `citizen_id` and
  `name` stored encrypted (`junheng_kit.fieldcrypt`), with `citizen_id_index` (the ID's blind
  index, the same the roster's `student.citizen_id_index` is: the 应助尽助 scan joins on it) and
  `name_born_index` (as `student.name_born_index`: the name as the rules compare it and the
  ID's birth date) — matching decrypts nothing; a partial match's entry is decrypted for its
  review item.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistance.db import Base
from assistance.identification.rules import person_key
from assistance.students.models import PERSON, citizen_id_index, name_born_index
from junheng_kit.db import UtcDateTime
from junheng_kit.fieldcrypt import Encrypted, normalise_citizen_id
from junheng_kit.fieldcrypt_columns import blind_index_of
from junheng_kit.ids import uuid7
from junheng_kit.timeutil import utcnow

# associated data of the sealed subject hash (never renamed once values are stored)
SUBJECT = "assistance.agency_assertion.subject_sha256"


class AgencyAssertion(Base):
    """核查结果: an agency's signed, minimal answer about one person."""

    __tablename__ = "agency_assertion"
    __table_args__ = (UniqueConstraint("agency", "assertion_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    assertion_id: Mapped[str] = mapped_column(String(64))
    agency: Mapped[str] = mapped_column(String(10))
    student_id: Mapped[UUID | None] = mapped_column(ForeignKey("student.id"), index=True)
    citizen_id_index: Mapped[str | None] = mapped_column(String(32), index=True)
    subject_sha256: Mapped[str] = mapped_column(Encrypted(SUBJECT))
    matched: Mapped[bool] = mapped_column(Boolean)
    name_matches: Mapped[bool] = mapped_column(Boolean)
    categories: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    key_id: Mapped[str | None] = mapped_column(String(16))
    signature: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(8), default="agency")
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ledger_seq: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CategoryList(Base):
    """类别名单: an agency's signed list of the people it holds categories for in a region."""

    __tablename__ = "category_list"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    agency: Mapped[str] = mapped_column(String(10))
    region_code: Mapped[str] = mapped_column(String(6))
    list_id: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[date] = mapped_column(Date)
    entry_count: Mapped[int] = mapped_column(Integer)
    entries_sha256: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(100))
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ledger_seq: Mapped[int] = mapped_column(Integer)


# associated data of the encrypted columns (never renamed once values are stored)
ENTRY_CITIZEN_ID = "assistance.category_list_entry.citizen_id"
ENTRY_NAME = "assistance.category_list_entry.name"


def _entry_citizen_id_index(context: Any) -> str:
    return citizen_id_index(context.get_current_parameters()["citizen_id"])


def _entry_name_born_index(context: Any) -> str:
    row = context.get_current_parameters()
    return name_born_index(row["name"], row["citizen_id"])


class CategoryListEntry(Base):
    """One row of a category list (bulk-inserted, never updated)."""

    __tablename__ = "category_list_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_ref: Mapped[UUID] = mapped_column(
        ForeignKey("category_list.id", ondelete="CASCADE"), index=True
    )
    citizen_id: Mapped[str] = mapped_column(Encrypted(ENTRY_CITIZEN_ID))
    # computed from the values on insert (entries are never updated)
    citizen_id_index: Mapped[str] = mapped_column(
        String(32),
        index=True,
        default=_entry_citizen_id_index,
        info=blind_index_of("citizen_id", ENTRY_CITIZEN_ID, "citizen_id", normalise_citizen_id),
    )
    name: Mapped[str] = mapped_column(Encrypted(ENTRY_NAME))
    name_born_index: Mapped[str] = mapped_column(
        String(32),
        default=_entry_name_born_index,
        info=blind_index_of(
            "name", ENTRY_NAME, PERSON, person_key, also=(("citizen_id", ENTRY_CITIZEN_ID),)
        ),
    )
    category: Mapped[str] = mapped_column(String(32))
    grade: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    assertion_id: Mapped[str] = mapped_column(String(64))
