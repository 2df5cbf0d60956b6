from typing import Annotated

from fastapi import APIRouter, Depends, Path

from evaluation.seats import service
from evaluation.seats.schemas import SeatPlansRead
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import CountyCode
from junheng_kit.problems import Forbidden, RuleViolated, problem_responses

router = APIRouter(prefix="/v1/counties/{county_code}/years/{year}", tags=["county verdict"])

Reader = Annotated[Principal, Depends(require_scopes("evaluation:read"))]
Year = Annotated[int, Path(ge=2000, le=2100, description="school year by its start year")]


@router.get(
    "/seat-plans",
    summary="Seat plans from enrollment and the class sizes they imply (学位计划、班额)",
    responses=problem_responses(Forbidden, RuleViolated),
)
async def get_seat_plans(
    county_code: CountyCode, year: Year, session: SessionDep, principal: Reader
) -> SeatPlansRead:
    """Every school's entry-grade plan as `enrollment.school_seats.changed` last gave it, with
    its source; the largest class per level and the sections over the 班额 cap, as the county
    verdict measures them when no reviewer entry for `class_size` is stored."""
    return await service.seat_plans(session, principal, county_code=county_code, year=year)
