"""资金发放 over HTTP."""

from uuid import UUID

from fastapi import APIRouter, Response

from assistance.awards.awards.endpoints import Reader, Writer
from assistance.awards.disbursement import service
from assistance.awards.disbursement.schemas import DisbursementCreate, DisbursementRead
from junheng_kit.db import SessionDep
from junheng_kit.problems import Conflict, NotFound, RuleViolated, problem_responses

router = APIRouter(tags=["awards"])


@router.post(
    "/v1/disbursements",
    status_code=201,
    summary="资金发放: record a payment batch",
    responses=problem_responses(RuleViolated, Conflict),
)
async def record_disbursement(
    body: DisbursementCreate, session: SessionDep, principal: Writer, response: Response
) -> DisbursementRead:
    """Every line or none: approved awards of the county, each amount ≤ what is left (422
    `amount_within_remaining`), not after the grace period of a lost category (409
    `grace_period_ended`). Emits `assistance.disbursement.recorded` per line."""
    batch, items = await service.record_disbursement(session, principal, request=body)
    response.headers["Location"] = f"/v1/disbursements/{batch.id}"
    return service.disbursement_read(batch, items)


@router.get(
    "/v1/disbursements/{disbursement_id}",
    summary="One payment batch",
    responses=problem_responses(NotFound),
)
async def get_disbursement(
    disbursement_id: UUID, session: SessionDep, principal: Reader
) -> DisbursementRead:
    return await service.get_disbursement(session, principal, disbursement_id=disbursement_id)
