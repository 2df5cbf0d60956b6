"""公示 over HTTP: a batch of reviewed awards and its public list."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response

from assistance.awards.awards.endpoints import Reader, Writer
from assistance.awards.awards.rules import WorkflowConflict
from assistance.awards.publicity import service
from assistance.awards.publicity.schemas import PublicityBatchCreate, PublicityBatchRead, PublicList
from assistance.settings import AssistanceSettings
from junheng_kit.db import SessionDep
from junheng_kit.problems import NotFound, RuleViolated, problem_responses

router = APIRouter(tags=["awards"])


def settings_of(request: Request) -> AssistanceSettings:
    settings = request.app.state.settings
    assert isinstance(settings, AssistanceSettings)
    return settings


Settings = Annotated[AssistanceSettings, Depends(settings_of)]


@router.post(
    "/v1/publicity-batches",
    status_code=201,
    summary="公示: list reviewed awards for at least the minimum working days",
    responses=problem_responses(NotFound, WorkflowConflict, RuleViolated),
)
async def create_publicity_batch(
    body: PublicityBatchCreate,
    session: SessionDep,
    principal: Writer,
    response: Response,
    settings: Settings,
) -> PublicityBatchRead:
    """A 公示 starts today (China) or later: an earlier `starts_on` → 422
    `publicity_not_backdated`. Working days are counted on the calendar (weekends, official
    holidays, 调休 working weekends), start and end included; fewer than the minimum (setting,
    default 5) → 422 `publicity_5_working_days`. Without `ends_on` the earliest allowed end is
    used."""
    minimum = settings.publicity_min_working_days
    batch, count = await service.create_publicity_batch(
        session, principal, request=body, minimum=minimum
    )
    response.headers["Location"] = f"/v1/publicity-batches/{batch.id}"
    return PublicityBatchRead.model_validate(batch).model_copy(update={"awards": count})


@router.get(
    "/v1/publicity-batches/{batch_id}",
    summary="One 公示 batch",
    responses=problem_responses(NotFound),
)
async def get_publicity_batch(
    batch_id: UUID, session: SessionDep, principal: Reader
) -> PublicityBatchRead:
    batch, count = await service.get_batch(session, principal, batch_id=batch_id)
    return PublicityBatchRead.model_validate(batch).model_copy(update={"awards": count})


@router.get(
    "/v1/publicity-batches/{batch_id}/list",
    summary="The public 公示 list (minimised: masked name and ID, no category unless allowed)",
    responses=problem_responses(NotFound),
)
async def get_public_list(batch_id: UUID, session: SessionDep, principal: Reader) -> PublicList:
    return await service.public_list(session, principal, batch_id=batch_id)
