"""County approval (县级审批) over HTTP: one award (`router`) or every award on a 公示 list
(`batch_router`); `assistance.awards.endpoints` lists each where the API always had it."""

from uuid import UUID

from fastapi import APIRouter, Response

from assistance.awards.approval import service
from assistance.awards.approval.schemas import AwardApproval
from assistance.awards.awards import service as awards_service
from assistance.awards.awards.endpoints import IfMatch, Writer
from assistance.awards.awards.rules import WorkflowConflict
from assistance.awards.awards.schemas import AwardRead
from assistance.awards.publicity import service as publicity_service
from assistance.awards.publicity.schemas import PublicityBatchRead
from junheng_kit.db import SessionDep
from junheng_kit.etags import etag, version_from_if_match
from junheng_kit.problems import NotFound, PreconditionFailed, problem_responses

router = APIRouter(tags=["awards"])
batch_router = APIRouter(tags=["awards"])


@router.post(
    "/v1/awards/{award_id}/approval",
    summary="县级审批: approve after review and an ended 公示",
    responses=problem_responses(NotFound, WorkflowConflict, PreconditionFailed),
)
async def approve_award(
    award_id: UUID,
    body: AwardApproval,
    session: SessionDep,
    principal: Writer,
    response: Response,
    if_match: IfMatch = None,
) -> AwardRead:
    """409 `review_required` before the panel reviewed it, `publicity_required` before a 公示,
    `publicity_not_ended` until the day after it ends, `objection_open` while an objection is
    open. Emits `assistance.award.approved`."""
    award, student = await service.approve_award(
        session,
        principal,
        award_id=award_id,
        request=body,
        if_match=version_from_if_match(if_match),
    )
    response.headers["ETag"] = etag(award.version, unmasked=awards_service.shows_pii(principal))
    return awards_service.award_read(award, student, principal)


@batch_router.post(
    "/v1/publicity-batches/{batch_id}/approval",
    summary="县级审批 of every award still on a 公示 list (all or none)",
    responses=problem_responses(NotFound, WorkflowConflict),
)
async def approve_batch(
    batch_id: UUID, body: AwardApproval, session: SessionDep, principal: Writer
) -> PublicityBatchRead:
    count = await service.approve_batch(session, principal, batch_id=batch_id, request=body)
    batch, _ = await publicity_service.get_batch(session, principal, batch_id=batch_id)
    return PublicityBatchRead.model_validate(batch).model_copy(update={"awards": count})
