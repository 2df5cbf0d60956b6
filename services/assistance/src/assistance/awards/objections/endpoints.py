"""公示 objections over HTTP."""

from uuid import UUID

from fastapi import APIRouter

from assistance.awards.awards.endpoints import Reader, Writer
from assistance.awards.objections import service
from assistance.awards.objections.schemas import (
    ObjectionCreate,
    ObjectionList,
    ObjectionRead,
    ObjectionResolve,
)
from junheng_kit.db import SessionDep
from junheng_kit.problems import Conflict, NotFound, RuleViolated, problem_responses

router = APIRouter(tags=["awards"])


@router.post(
    "/v1/publicity-batches/{batch_id}/objections",
    status_code=201,
    summary="Record an objection raised during 公示",
    responses=problem_responses(NotFound, RuleViolated),
)
async def record_objection(
    batch_id: UUID, body: ObjectionCreate, session: SessionDep, principal: Writer
) -> ObjectionRead:
    row = await service.record_objection(session, principal, batch_id=batch_id, request=body)
    return ObjectionRead.model_validate(row)


@router.get(
    "/v1/publicity-batches/{batch_id}/objections",
    summary="Objections to a 公示 list",
    responses=problem_responses(NotFound),
)
async def list_objections(batch_id: UUID, session: SessionDep, principal: Reader) -> ObjectionList:
    rows = await service.list_objections(session, principal, batch_id=batch_id)
    return ObjectionList(items=[ObjectionRead.model_validate(r) for r in rows])


@router.post(
    "/v1/objections/{objection_id}/resolution",
    summary="Resolve an objection (upheld: the award is rejected)",
    responses=problem_responses(NotFound, Conflict),
)
async def resolve_objection(
    objection_id: UUID, body: ObjectionResolve, session: SessionDep, principal: Writer
) -> ObjectionRead:
    row = await service.resolve_objection(
        session, principal, objection_id=objection_id, request=body
    )
    return ObjectionRead.model_validate(row)
