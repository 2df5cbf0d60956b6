"""Every query of the training records: a teacher's records, the keys an import matches, the
requirement in force, and the per-section counts behind 教师5年360学时 (set-based)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.i18n import t
from junheng_kit.problems import NotFound
from staffing.policy.parameters import PolicyBook
from staffing.policy.service import policy_book
from staffing.teachers.codes import Section
from staffing.teachers.models import Teacher
from staffing.teachers.repository import chunks, in_post
from staffing.training.models import TrainingRecord
from staffing.training.rules import TrainingRequirement, window_from

RecordKey = tuple[UUID, str, date]  # teacher, programme, completed_on: one training, once


async def records_of(session: AsyncSession, teacher_id: UUID) -> list[TrainingRecord]:
    """A teacher's records, newest completion first."""
    return list(
        await session.scalars(
            select(TrainingRecord)
            .where(TrainingRecord.teacher_id == teacher_id)
            .order_by(TrainingRecord.completed_on.desc(), TrainingRecord.id)
        )
    )


async def record_of(session: AsyncSession, teacher_id: UUID, record_id: UUID) -> TrainingRecord:
    record = await session.scalar(
        select(TrainingRecord).where(
            TrainingRecord.id == record_id, TrainingRecord.teacher_id == teacher_id
        )
    )
    if record is None:
        raise NotFound(
            t(
                f"教师 {teacher_id} 的培训记录 {record_id} 不存在",
                f"training record {record_id} of teacher {teacher_id} not found",
            )
        )
    return record


async def existing_records(
    session: AsyncSession, keys: Iterable[RecordKey]
) -> dict[RecordKey, UUID]:
    """The ids of the records already stored under `keys` (one query per 5,000 teachers)."""
    wanted = set(keys)
    teachers = sorted({teacher_id for teacher_id, _, _ in wanted})
    out: dict[RecordKey, UUID] = {}
    for part in chunks(teachers):
        rows = await session.execute(
            select(
                TrainingRecord.teacher_id,
                TrainingRecord.programme,
                TrainingRecord.completed_on,
                TrainingRecord.id,
            ).where(TrainingRecord.teacher_id.in_(part))
        )
        for teacher_id, programme, completed_on, record_id in rows:
            key = (teacher_id, programme, completed_on)
            if key in wanted:
                out[key] = record_id
    return out


def requirement_of(book: PolicyBook, county_code: str, on: date) -> TrainingRequirement | None:
    """The county's `training_required_hours` and `training_window_years` in force on `on`
    (both, or no requirement: a computation never guesses the other)."""
    hours = book.find("training_required_hours", county_code, on)
    years = book.find("training_window_years", county_code, on)
    if hours is None or years is None:
        return None
    source = hours.source if hours.source == years.source else f"{hours.source}；{years.source}"
    return TrainingRequirement(int(hours.decimal), int(years.decimal), source)


async def requirements(
    session: AsyncSession, county_codes: Iterable[str], *, on: date
) -> dict[str, TrainingRequirement | None]:
    """The requirement in force on `on` for each county (built-in rows and the county's own)."""
    out: dict[str, TrainingRequirement | None] = {}
    for county_code in sorted(set(county_codes)):
        out[county_code] = requirement_of(await policy_book(session, county_code), county_code, on)
    return out


@dataclass(frozen=True, slots=True)
class TrainingCounts:
    counted: int  # 专任教师 in post
    meeting: int  # of them, with at least the required hours in the window


NO_TEACHERS = TrainingCounts(0, 0)


def _counts_query(codes: Sequence[str], requirement: TrainingRequirement, on: date) -> Any:
    """One GROUP BY per school and 学段: 专任教师 in post, and those whose hours completed in
    the window reach the requirement. Hours are summed in SQL and compared in tenths (the
    records' precision), so SQLite's floating sums decide exactly as PostgreSQL's numerics."""
    in_schools = select(Teacher.id).where(Teacher.school_code.in_(codes))
    hours = (
        select(TrainingRecord.teacher_id, func.sum(TrainingRecord.hours).label("hours"))
        .where(
            TrainingRecord.teacher_id.in_(in_schools),
            TrainingRecord.completed_on >= window_from(on, requirement.window_years),
            TrainingRecord.completed_on <= on,
        )
        .group_by(TrainingRecord.teacher_id)
        .subquery()
    )
    met = func.round(func.coalesce(hours.c.hours, 0) * 10) >= requirement.required_hours * 10
    return (
        select(
            Teacher.school_code,
            Teacher.section,
            func.count(),
            func.sum(case((met, 1), else_=0)),
        )
        .outerjoin(hours, hours.c.teacher_id == Teacher.id)
        .where(in_post(), Teacher.school_code.in_(codes))
        .group_by(Teacher.school_code, Teacher.section)
    )


async def section_training_counts(
    session: AsyncSession,
    requirement_by_school: Mapping[str, TrainingRequirement | None],
    *,
    on: date,
) -> dict[tuple[str, Section], TrainingCounts]:
    """Training counts per school and 学段 on `on`, each school under its county's requirement
    (schools without one are not counted)."""
    schools: dict[TrainingRequirement, list[str]] = defaultdict(list)
    for code, requirement in requirement_by_school.items():
        if requirement is not None:
            schools[requirement].append(code)
    out: dict[tuple[str, Section], TrainingCounts] = {}
    for requirement, codes in schools.items():
        for part in chunks(sorted(codes)):
            rows = await session.execute(_counts_query(part, requirement, on))
            for code, section, counted, meeting in rows:
                out[(code, Section(section))] = TrainingCounts(int(counted), int(meeting or 0))
    return out
