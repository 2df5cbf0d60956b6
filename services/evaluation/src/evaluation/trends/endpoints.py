from typing import Annotated

from fastapi import APIRouter, Depends, Query

from evaluation.trends import service
from evaluation.trends.schemas import RollupRead, TrendsRead
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import CountyCode
from junheng_kit.problems import Forbidden, InvalidInput, problem_responses

router = APIRouter(tags=["trends"])

Reader = Annotated[Principal, Depends(require_scopes("evaluation:read"))]
OptionalYear = Annotated[
    int | None, Query(ge=2000, le=2100, description="school year by its start year")
]
Year = Annotated[int, Query(ge=2000, le=2100, description="school year by its start year")]
RegionCode = Annotated[
    str,
    Query(
        pattern=r"^\d{2}(\d{2}){0,2}$",
        description="GB/T 2260 prefix: province (2 digits), city (4) or county (6)",
    ),
]


@router.get(
    "/v1/counties/{county_code}/trends",
    summary="A county's resource allocation across school years",
    responses=problem_responses(Forbidden, InvalidInput),
)
async def county_trends(
    county_code: CountyCode,
    session: SessionDep,
    principal: Reader,
    from_year: OptionalYear = None,
    to_year: OptionalYear = None,
) -> TrendsRead:
    """Per school year (oldest first), the newest assessment's sections passing per level and,
    per indicator, the pupil-weighted county mean and the 差异系数."""
    return await service.county_trends(
        session, principal, county_code=county_code, from_year=from_year, to_year=to_year
    )


@router.get(
    "/v1/rollups",
    summary="Counties of a city or province in one school year (roll-up)",
    responses=problem_responses(Forbidden, InvalidInput),
)
async def region_rollup(
    region_code: RegionCode, year: Year, session: SessionDep, principal: Reader
) -> RollupRead:
    """The newest assessment of every county within `region_code` (and the caller's
    jurisdiction), by county code: verdict, failing sections and CVs, and the worst CV per
    level."""
    return await service.region_rollup(session, principal, region_code=region_code, year=year)
