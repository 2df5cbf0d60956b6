"""The working calendar (工作日历) over HTTP."""

from typing import Annotated

from fastapi import APIRouter, Path

from assistance.awards.awards.endpoints import Reader, Writer
from assistance.awards.calendar import service
from assistance.awards.calendar.schemas import CalendarPut, CalendarRead
from junheng_kit.db import SessionDep
from junheng_kit.problems import NotFound, RuleViolated, problem_responses

router = APIRouter(tags=["awards"])

Year = Annotated[int, Path(ge=2000, le=2100)]


@router.put(
    "/v1/calendars/{year}",
    summary="工作日历: a year's official holidays and 调休 working weekends",
    responses=problem_responses(RuleViolated),
)
async def put_calendar(
    year: Year, body: CalendarPut, session: SessionDep, principal: Writer
) -> CalendarRead:
    """Replaces the year as a whole; cite the State Council notice in `source`."""
    await service.put_calendar(session, principal, year=year, request=body)
    return await service.get_calendar(session, year=year)


@router.get(
    "/v1/calendars/{year}",
    summary="A year's working calendar",
    responses=problem_responses(NotFound),
)
async def get_calendar(year: Year, session: SessionDep, principal: Reader) -> CalendarRead:
    return await service.get_calendar(session, year=year)
