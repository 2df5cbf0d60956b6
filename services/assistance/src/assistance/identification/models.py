"""应助尽助 identification tables.

- `identification_job` — one scan of a county's roster against the agencies' category lists for
  a school year, with its phase, counts, the lists it used (`lists`: per agency, fetched or the
  last one kept when the agency was down) and the purpose and legal basis it ran under.
  `heartbeat_at` is refreshed by the process running it; a queued or running job whose
  heartbeat (or creation) is older than the stale limit lost its process and is failed.
- `review_item` — a partial match a person decides: `name_mismatch` (the ID is on a list under
  another name) or `id_mismatch` (same name and birth date, another ID). `list_citizen_id` and
  `list_name` are what the list says (personal data: masked without `assistance:pii`; stored
  encrypted, `junheng_kit.fieldcrypt`, never searched).
- `coverage_figure` — one school's counts in one job; the county figure is their sum.
- `roster_snapshot` — per county, the enrolled roster's columns the rules read (student_id,
  citizen_key, person_key: the blind indexes, school_code) as one zstd-compressed Parquet
  blob, built by a job at `roster_version` `version`; used while the county's roster version
  is still that number. `payload` is stored sealed as one value (junheng_kit.fieldcrypt.
  encrypt_bytes, associated data `snapshot.PAYLOAD`; format `parquet+zstd/3`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from assistance.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.fieldcrypt import Encrypted
from junheng_kit.ids import uuid7
from junheng_kit.timeutil import utcnow


class IdentificationJob(Base):
    """应助尽助 scan: enrolled students × the agencies' category lists → awards and reviews."""

    __tablename__ = "identification_job"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    school_year: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    refresh_lists: Mapped[bool] = mapped_column(Boolean)
    purpose: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10))  # queued | running | succeeded | failed
    phase: Mapped[str] = mapped_column(String(20))
    lists: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    detail: Mapped[str | None] = mapped_column(String(1000))
    requested_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the runner is alive
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


# associated data of the encrypted columns (never renamed once values are stored)
LIST_CITIZEN_ID = "assistance.review_item.list_citizen_id"
LIST_NAME = "assistance.review_item.list_name"


class ReviewItem(Base):
    """人工复核: a partial match between the roster and an agency list."""

    __tablename__ = "review_item"
    __table_args__ = (UniqueConstraint("student_id", "assertion_id", "school_year"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    job_id: Mapped[UUID] = mapped_column(ForeignKey("identification_job.id"), index=True)
    student_id: Mapped[UUID] = mapped_column(ForeignKey("student.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    school_code: Mapped[str] = mapped_column(String(10))
    school_year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(14))  # name_mismatch | id_mismatch
    agency: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(32))
    list_ref: Mapped[UUID] = mapped_column(ForeignKey("category_list.id"))
    assertion_id: Mapped[str] = mapped_column(String(64))
    list_citizen_id: Mapped[str] = mapped_column(Encrypted(LIST_CITIZEN_ID))
    list_name: Mapped[str] = mapped_column(Encrypted(LIST_NAME))
    status: Mapped[str] = mapped_column(String(10), index=True)  # open | confirmed | rejected
    reason: Mapped[str | None] = mapped_column(String(500))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    proposed_awards: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CoverageFigure(Base):
    """应助尽助覆盖率 of one school in one job."""

    __tablename__ = "coverage_figure"
    __table_args__ = (UniqueConstraint("job_id", "school_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[UUID] = mapped_column(ForeignKey("identification_job.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6))
    school_year: Mapped[int] = mapped_column(Integer)
    school_code: Mapped[str] = mapped_column(String(10))
    students: Mapped[int] = mapped_column(Integer)
    eligible: Mapped[int] = mapped_column(Integer)
    auto_identified: Mapped[int] = mapped_column(Integer)
    awarded: Mapped[int] = mapped_column(Integer)


class RosterSnapshot(Base):
    """名册快照: the county's enrolled roster as the rules read it, kept between jobs."""

    __tablename__ = "roster_snapshot"

    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)  # roster_version when it was read
    built_at: Mapped[datetime] = mapped_column(UtcDateTime)
    rows: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(20))  # parquet+zstd, the frame's columns
    payload: Mapped[bytes] = mapped_column(LargeBinary)
