"""教师培训记录 use-cases: record a teacher's completed training, list it with the hours of the
window, remove a mistaken record — each change recounts the teacher's school (`teachers.stats`)
in the caller's transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.problems import Conflict, RuleViolated
from staffing.teachers import stats
from staffing.teachers.repository import TeacherRepository
from staffing.training import repository, rules
from staffing.training.models import RECORD_UNIQUE, TrainingRecord
from staffing.training.schemas import (
    TeacherTrainingRead,
    TrainingHoursRead,
    TrainingRecordCreate,
    TrainingRecordRead,
)


async def add_record(
    session: AsyncSession, principal: Principal, *, teacher_id: UUID, request: TrainingRecordCreate
) -> TrainingRecord:
    """Record a completed training of a teacher in the caller's jurisdiction; 409 when the same
    programme completed on the same day is already recorded."""
    teacher = await TeacherRepository(session).get(teacher_id, within=principal.jurisdiction)
    errors = rules.record_errors(
        hours=request.hours,
        started_on=request.started_on,
        completed_on=request.completed_on,
        hire_date=teacher.hire_date,
        today=stats.registry_today(),
    )
    if errors:
        raise RuleViolated(t("培训记录有误", "the training record is not valid"), *errors)
    key = (teacher.id, request.programme, request.completed_on)
    if await repository.existing_records(session, [key]):
        raise Conflict(t("该培训已登记", "this training is already recorded"), RECORD_UNIQUE)
    record = TrainingRecord(
        teacher_id=teacher.id,
        programme=request.programme,
        provider=request.provider,
        started_on=request.started_on,
        completed_on=request.completed_on,
        hours=request.hours,
        certificate_reference=request.certificate_reference,
        recorded_by=principal.client_id,
    )
    session.add(record)
    await session.flush()  # a concurrent record of the same training fails here (409)
    await stats.refresh_school_stats(session, [teacher.school_code])
    return record


async def remove_record(
    session: AsyncSession, principal: Principal, *, teacher_id: UUID, record_id: UUID
) -> None:
    """Delete a mistaken record; the school's counts follow."""
    teacher = await TeacherRepository(session).get(teacher_id, within=principal.jurisdiction)
    record = await repository.record_of(session, teacher.id, record_id)
    await session.delete(record)
    await session.flush()
    await stats.refresh_school_stats(session, [teacher.school_code])


async def teacher_training(
    session: AsyncSession, principal: Principal, *, teacher_id: UUID, on: date | None
) -> TeacherTrainingRead:
    """A teacher's records and, when a requirement is in force for the teacher's county on
    `on` (default today), the hours of its window and whether they meet it."""
    teacher = await TeacherRepository(session).get(teacher_id, within=principal.jurisdiction)
    on = on or stats.registry_today()
    records = await repository.records_of(session, teacher.id)
    requirement = (await repository.requirements(session, [teacher.county_code], on=on))[
        teacher.county_code
    ]
    if requirement is None:
        return TeacherTrainingRead(
            teacher_id=teacher.id,
            records=[TrainingRecordRead.of(r) for r in records],
            hours=None,
        )
    start = rules.window_from(on, requirement.window_years)
    hours = rules.hours_in_window(
        (rules.Credit(r.completed_on, r.hours) for r in records),
        on=on,
        years=requirement.window_years,
    )
    return TeacherTrainingRead(
        teacher_id=teacher.id,
        records=[
            TrainingRecordRead.of(r, in_window=start <= r.completed_on <= on) for r in records
        ],
        hours=TrainingHoursRead(
            on=on,
            window_from=start,
            window_years=requirement.window_years,
            required_hours=requirement.required_hours,
            hours_in_window=hours,
            meets_requirement=rules.meets(hours, requirement),
            missing_hours=max(Decimal(requirement.required_hours) - hours, Decimal(0)),
            source=requirement.source,
        ),
    )
