"""异地转学 use-cases: the current county moves a student; awards keep their county. Services
never commit."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.awards import repository as awards_repository
from assistance.awards.transfers import repository, rules
from assistance.awards.transfers.models import StudentTransfer
from assistance.awards.transfers.schemas import TransferCreate
from assistance.students.repository import StudentRepository
from assistance.students.schemas import Level
from junheng_kit.auth import Principal
from junheng_kit.i18n import t as tt
from junheng_kit.ids import uuid7
from junheng_kit.problems import NotFound, RuleViolated


async def transfer_student(
    session: AsyncSession, principal: Principal, *, student_id: UUID, request: TransferCreate
) -> StudentTransfer:
    """异地转学: the current county records the move; awards keep their county and stay readable
    by both; only the new county creates awards from now on."""
    student = await awards_repository.student(session, student_id)
    principal.require_jurisdiction(student.county_code, field="student_id")
    rules.check_move(
        (student.county_code, student.school_code),
        (request.to_county_code, request.to_school_code),
    )
    target = (await StudentRepository(session).schools([request.to_school_code])).get(
        request.to_school_code
    )
    problem = rules.transfer_target_error(
        target, to_county_code=request.to_county_code, level=Level(student.level)
    )
    if problem is not None:
        raise RuleViolated(
            tt("转入学校不符合要求", "the receiving school does not qualify"), problem
        )
    transfer = StudentTransfer(
        id=uuid7(),
        student_id=student.id,
        from_county_code=student.county_code,
        from_school_code=student.school_code,
        to_county_code=request.to_county_code,
        to_school_code=request.to_school_code,
        transferred_on=request.on,
        recorded_by=principal.client_id,
    )
    session.add(transfer)
    student.county_code = request.to_county_code
    student.school_code = request.to_school_code
    student.version += 1
    await session.flush()
    return transfer


async def list_transfers(
    session: AsyncSession, principal: Principal, *, student_id: UUID
) -> list[StudentTransfer]:
    student = await awards_repository.student(session, student_id)
    transfers = list(await repository.transfers_of(session, student_id))
    counties = {student.county_code} | {t.from_county_code for t in transfers}
    if not any(principal.jurisdiction.covers_code(c) for c in counties):
        raise NotFound(tt(f"学生 {student_id} 不存在", f"student {student_id} not found"))
    return transfers
