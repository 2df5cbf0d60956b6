"""Teacher registry tables (教师信息库). Other staffing domains (quotas, rotation) read these.

Tables and columns (stable; change only by a new migration):

- `teacher` — one row per person, keyed by `id` (UUID, also the id in events and URLs).
  `citizen_id` (18 characters, stored encrypted: `junheng_kit.fieldcrypt`), `citizen_id_index`
  (its blind index, 32 hex, unique: a person is in the registry once, so never active twice;
  every lookup by ID goes through it), `name` (stored encrypted, not searchable),
  `gender` (male|female), `birth_date`; current posting: `school_code`, `county_code` (of that
  school), `section` (primary|junior: the 学段 taught), `school_joined_on` (start of the current
  assignment); `post_type` (full_time 专任 | auxiliary 教辅 | support 工勤), `main_subject` and
  `subjects` (JSON list, main first; codes of teachers.codes.SUBJECTS), `title` (codes of TITLES,
  null = none), `degree` (codes of DEGREES), `backbone_level` (codes of BACKBONE_LEVELS, null =
  none), `staffing_status` (in_quota 在编 | seconded 借调 | temporary 临聘), `hire_date`, `status`
  (active|retired|left), `leadership_post` (principal 校长 | vice_principal 副校长, null =
  none), 教师资格证 as `teacher_qualification_type` (codes of teachers.qualifications, null =
  none recorded), `teacher_qualification_number` (教师资格证书编号 as written) and
  `teacher_qualification_subject` (任教学科, a subject code), `version` (optimistic lock, the
  ETag), `created_at`, `updated_at`.
- `teacher_assignment` — append-only posting history: (`teacher_id`, `sequence`) unique,
  `school_code`, `county_code`, `section`, `started_on`, `reason`, `plan_reference`,
  `recorded_by`, `recorded_at`. A period ends the day the teacher's next row starts; the row
  with the highest sequence is the current posting (and equals the teacher's columns).
- `rural_service_period` — earlier rural service given in an import (`teacher_id`,
  `school_name`, `started_on`, `ended_on`); rural service also derives from assignments at
  schools marked rural in `school_rurality` (`school_code`, `is_rural`, `set_by`, `set_at`).
- `school_teacher_stats` — the last published counts per school (`school_code`,
  `county_code`, `sections` JSON as SectionTeacherStats — indicators 1–3 and the training
  counts —, `as_of`, `version`, `training_requirement` JSON: the rule the training counts used).
- `teacher_import` — one row per accepted upload (`content_sha256`, counts, who, when).

Repository functions for other domains (teachers.repository): `active_teachers_at(session,
school_codes)`, `current_assignment_starts(session, teacher_ids)`, `rural_service_days(session,
teacher_ids, on=)`; planned classes per school/level/year: classes.repository.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from junheng_kit.db import UtcDateTime
from junheng_kit.fieldcrypt import Encrypted, blind_index, blind_indexes, normalise_citizen_id
from junheng_kit.fieldcrypt_columns import blind_index_of
from junheng_kit.i18n import t
from junheng_kit.ids import uuid7
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow
from staffing.db import Base
from staffing.teachers.codes import (
    Gender,
    LeadershipPost,
    PostType,
    Section,
    StaffingStatus,
    TeacherStatus,
)


def _code_enum(enum: type[Any]) -> Enum:
    """A StrEnum stored as VARCHAR of its values (no database enum type, no CHECK)."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


# associated data of the encrypted columns (never renamed once values are stored)
CITIZEN_ID = "staffing.teacher.citizen_id"
NAME = "staffing.teacher.name"
ENCRYPTED_COLUMNS = {"citizen_id": CITIZEN_ID, "name": NAME}


def citizen_id_index(citizen_id: str) -> str:
    """The blind index the registry finds (and keeps unique) a citizen ID by."""
    return blind_index(normalise_citizen_id(citizen_id), "citizen_id")


def citizen_id_indexes(citizen_ids: Sequence[str]) -> list[str]:
    return blind_indexes((normalise_citizen_id(c) for c in citizen_ids), "citizen_id")


def _index_of_inserted_row(context: Any) -> str:
    return citizen_id_index(context.get_current_parameters()["citizen_id"])


TEACHER_IN_ONE_SCHOOL = FieldError(
    "citizen_id",
    "teacher_in_one_school",
    t("一名教师同一时间只在一所学校在职", "a teacher is active at one school at a time"),
)
TEACHER_REGISTERED_DETAIL = t(
    "该公民身份号码已在教师信息库中", "this 公民身份号码 (citizen ID) is already in the registry"
)


class Teacher(Base):
    """教师: one person in the county registry and their current posting."""

    __tablename__ = "teacher"
    __table_args__ = (
        # registered by a concurrent request after this one's check: active at its school
        # (the blind index of the ID: the ID itself is stored encrypted)
        UniqueConstraint(
            "citizen_id_index",
            info=on_violation(TEACHER_IN_ONE_SCHOOL, detail=TEACHER_REGISTERED_DETAIL),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    citizen_id: Mapped[str] = mapped_column(Encrypted(CITIZEN_ID))
    # computed from the ID for ORM and Core inserts (bulk_insert.insert_columns is given it)
    citizen_id_index: Mapped[str] = mapped_column(
        String(32),
        default=_index_of_inserted_row,
        info=blind_index_of(
            "citizen_id", ENCRYPTED_COLUMNS["citizen_id"], "citizen_id", normalise_citizen_id
        ),
    )
    name: Mapped[str] = mapped_column(Encrypted(NAME))
    gender: Mapped[Gender] = mapped_column(_code_enum(Gender))
    birth_date: Mapped[date] = mapped_column(Date)
    school_code: Mapped[str] = mapped_column(String(10), index=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    section: Mapped[Section] = mapped_column(_code_enum(Section))
    school_joined_on: Mapped[date] = mapped_column(Date)
    post_type: Mapped[PostType] = mapped_column(_code_enum(PostType))
    main_subject: Mapped[str | None] = mapped_column(String(30))
    subjects: Mapped[list[str]] = mapped_column(JSON)
    title: Mapped[str | None] = mapped_column(String(20))
    degree: Mapped[str] = mapped_column(String(30))
    backbone_level: Mapped[str | None] = mapped_column(String(20))
    staffing_status: Mapped[StaffingStatus] = mapped_column(_code_enum(StaffingStatus))
    hire_date: Mapped[date] = mapped_column(Date)
    status: Mapped[TeacherStatus] = mapped_column(_code_enum(TeacherStatus))
    leadership_post: Mapped[LeadershipPost | None] = mapped_column(_code_enum(LeadershipPost))
    teacher_qualification_type: Mapped[str | None] = mapped_column(String(30))
    teacher_qualification_number: Mapped[str | None] = mapped_column(String(30))
    teacher_qualification_subject: Mapped[str | None] = mapped_column(String(30))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API


class TeacherAssignment(Base):
    """任职经历: one posting period; rows are only ever added (history is never overwritten)."""

    __tablename__ = "teacher_assignment"
    __table_args__ = (
        # two moves of one teacher at once number the same posting: the later one is told
        UniqueConstraint(
            "teacher_id",
            "sequence",
            info=on_violation(
                FieldError(
                    "path.teacher_id",
                    "posting_sequence_unique",
                    t(
                        "同时记录了该教师的另一次调动；请重新读取教师信息后重试",
                        "a concurrent move of this teacher was recorded; reload the teacher and "
                        "retry",
                    ),
                ),
                detail=t(
                    "该教师已被另一个请求同时调动", "the teacher was moved by a concurrent request"
                ),
            ),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    teacher_id: Mapped[UUID] = mapped_column(ForeignKey("teacher.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    school_code: Mapped[str] = mapped_column(String(10), index=True)
    county_code: Mapped[str] = mapped_column(String(6))
    section: Mapped[Section] = mapped_column(_code_enum(Section))
    started_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    plan_reference: Mapped[str | None] = mapped_column(String(100))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RuralServicePeriod(Base):
    """乡村学校任教经历 before the registry: periods given in an import."""

    __tablename__ = "rural_service_period"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    teacher_id: Mapped[UUID] = mapped_column(ForeignKey("teacher.id"), index=True)
    school_name: Mapped[str | None] = mapped_column(String(100))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SchoolRurality(Base):
    """乡村学校: the bureau marks which schools count as rural (the registry copy does not say)."""

    __tablename__ = "school_rurality"
    __table_args__ = (
        # two PUTs marking one school at once: the later one is told, and may send it again
        PrimaryKeyConstraint(
            "school_code",
            info=on_violation(
                FieldError(
                    "path.school_code",
                    "rurality_unique",
                    t(
                        "另一个请求同时标记了此学校；请再次发送 PUT 以替换",
                        "a concurrent request marked this school; send the PUT again to replace it",
                    ),
                ),
                detail=t(
                    "该学校的城乡属性已被另一个请求同时设置",
                    "the school's rurality was set by a concurrent request",
                ),
            ),
        ),
    )

    school_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    is_rural: Mapped[bool] = mapped_column(Boolean)
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SchoolTeacherStats(Base):
    """The counts last published in staffing.school_teacher_stats.changed, per school."""

    __tablename__ = "school_teacher_stats"

    school_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    as_of: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # the training requirement the sections' training counts used (required_hours,
    # window_years, source); null: none in force, or counted before s0009
    training_requirement: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class TeacherImport(Base):
    """One accepted teacher sheet: its SHA-256 and what it changed."""

    __tablename__ = "teacher_import"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(100))
    rows: Mapped[int] = mapped_column(Integer)
    registered: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    moved: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
