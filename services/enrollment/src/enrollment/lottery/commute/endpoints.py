"""A county's travel model for 统筹 trips over HTTP (路途时间, seed 000)."""

from typing import Annotated

from fastapi import APIRouter, Depends

from enrollment.lottery.commute import service
from enrollment.lottery.commute.schemas import (
    CommuteModelCreate,
    CommuteModelList,
    CommuteModelRead,
)
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import CountyCode
from junheng_kit.problems import problem_responses

router = APIRouter(prefix="/v1/counties/{county_code}/commute-models", tags=["assignment-runs"])

Reader = Annotated[Principal, Depends(require_scopes("enrollment:read"))]
Writer = Annotated[Principal, Depends(require_scopes("enrollment:write"))]


@router.post(
    "",
    status_code=201,
    summary="Set how the county estimates pupils' trips (通学时间测算参数)",
    responses=problem_responses(),
)
async def set_commute_model(
    county_code: CountyCode, body: CommuteModelCreate, session: SessionDep, principal: Writer
) -> CommuteModelRead:
    """Append an effective-dated travel model from the county's own document or survey: the
    mode (walking | school_bus), its speed and the road's detour factor over the straight line.
    No source gives these values, so a county has no model (and its 统筹 offers no travel time)
    until it sets one; the row in force on a date is the latest `effective_from`, then the
    latest set. Used by `GET /v1/assignment-runs/{id}/overflow` against the commute limit
    (seed 000, Inner Mongolia: 路途时间一般不超过半小时 for primary grades 1–3)."""
    model = await service.set_commute_model(
        session, principal, county_code=county_code, request=body
    )
    return service.model_read(model)


@router.get(
    "",
    summary="The travel models the county has set",
    responses=problem_responses(),
)
async def list_commute_models(
    county_code: CountyCode, session: SessionDep, principal: Reader
) -> CommuteModelList:
    models = await service.commute_models(session, principal, county_code=county_code)
    return CommuteModelList(items=[service.model_read(m) for m in models])
