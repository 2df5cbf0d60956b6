"""异地转学 over HTTP."""

from uuid import UUID

from fastapi import APIRouter

from assistance.awards.awards.endpoints import Reader, Writer
from assistance.awards.transfers import service
from assistance.awards.transfers.schemas import TransferCreate, TransferList, TransferRead
from junheng_kit.db import SessionDep
from junheng_kit.problems import NotFound, RuleViolated, problem_responses

router = APIRouter(tags=["awards"])


@router.post(
    "/v1/students/{student_id}/transfers",
    status_code=201,
    summary="异地转学: move a student to another school or county (award history stays)",
    responses=problem_responses(NotFound, RuleViolated),
)
async def transfer_student(
    student_id: UUID, body: TransferCreate, session: SessionDep, principal: Writer
) -> TransferRead:
    row = await service.transfer_student(session, principal, student_id=student_id, request=body)
    return TransferRead.model_validate(row)


@router.get(
    "/v1/students/{student_id}/transfers",
    summary="A student's transfers",
    responses=problem_responses(NotFound),
)
async def list_transfers(student_id: UUID, session: SessionDep, principal: Reader) -> TransferList:
    rows = await service.list_transfers(session, principal, student_id=student_id)
    return TransferList(items=[TransferRead.model_validate(r) for r in rows])
