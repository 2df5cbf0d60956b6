from typing import Annotated

from fastapi import APIRouter, Depends, Path

from evaluation.seats import service
from evaluation.seats.schemas import SeatPlansRead
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import CountyCode
from junheng_kit.problems import Forbidden, RuleViolated, problem_responses

router = APIRouter(prefix="/v1/counties/{county_code}/years/{year}", tags=["verdict"])

Reader = Annotated[Principal, Depends(require_scopes("evaluation:read"))]
Year = Annotated[int, Path(ge=2000, le=2100, description="school year by its start year")]


@router.get(
    "/seat-plans",
    summary="Seat plans from enrollment and the entry classes they plan (学位计划)",
    responses=problem_responses(Forbidden, RuleViolated),
)
async def get_seat_plans(
    county_code: CountyCode, year: Year, session: SessionDep, principal: Reader
) -> SeatPlansRead:
    """Every school's entry-grade plan as `enrollment.school_seats.changed` last gave it, with
    its source; the largest planned class per level and the plans over the 班额 cap. A planning
    view: the county verdict judges 班额 on the real classes of every grade
    (GET /v1/school-classes/{county_code}/{year})."""
    return await service.seat_plans(session, principal, county_code=county_code, year=year)
