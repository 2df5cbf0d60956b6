"""学位配置标准 over HTTP: a region's or county's seats per 1,000 resident population per level,
effective-dated and cited (seed 000, seed 002; domain.md §2.5)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response

from enrollment.seats import standards
from enrollment.seats.endpoints import Reader, Writer
from enrollment.seats.policy import Level
from enrollment.seats.schemas import SeatStandardList, SeatStandardPut, SeatStandardRead, Year
from junheng_kit.db import SessionDep
from junheng_kit.etags import etag, version_from_if_match
from junheng_kit.identifiers import CountyCode, ScopeCode
from junheng_kit.problems import (
    InvalidInput,
    NotFound,
    PreconditionFailed,
    problem_responses,
)

router = APIRouter(prefix="/v1/seat-standards", tags=["seats"])

Scope = Annotated[
    ScopeCode,
    Path(
        description="GB/T 2260 prefix the standard applies in: 2 digits the region (15 内蒙古), "
        "4 a prefecture, 6 a county",
        examples=["15", "150602"],
    ),
]
EffectiveFrom = Annotated[date, Path(description="the first day the standard applies")]


@router.put(
    "/{scope_code}/{level}/{effective_from}",
    summary="Set a region's or county's seat standard (学位配置标准) for a level",
    responses={
        201: {"model": SeatStandardRead, "description": "created"},
        **problem_responses(InvalidInput, PreconditionFailed),
    },
)
async def put_seat_standard(
    scope_code: Scope,
    level: Level,
    effective_from: EffectiveFrom,
    body: SeatStandardPut,
    session: SessionDep,
    principal: Writer,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> SeatStandardRead:
    """学位配置标准: seats per 1,000 resident population (常住人口) for `level` in the scope from
    `effective_from` on, citing the document that sets it. Seed 000 has the region set it
    ("自治区制定城镇义务教育学位配置标准"), seed 002 bases it on resident population; no source
    gives a value, so there is none until one is stored. The caller's jurisdiction must cover
    the scope (403 `jurisdiction`). 201 when created, 200 when corrected (`version` + 1) or
    unchanged; `If-Match: "<version>"` guards against lost updates. The forecast uses the most
    specific scope in force on 1 September of each year."""
    row, created = await standards.put_standard(
        session,
        principal,
        scope_code=scope_code,
        level=level,
        effective_from=effective_from,
        request=body,
        if_match=version_from_if_match(if_match),
    )
    response.status_code = 201 if created else 200
    response.headers["ETag"] = etag(row.version)
    return standards.standard_read(row)


@router.get(
    "/{scope_code}/{level}/{effective_from}",
    summary="One seat standard",
    responses=problem_responses(NotFound),
)
async def get_seat_standard(
    scope_code: Scope,
    level: Level,
    effective_from: EffectiveFrom,
    session: SessionDep,
    principal: Reader,
    response: Response,
) -> SeatStandardRead:
    """Seen by callers inside the scope (a county reads its region's) and above it."""
    row = await standards.get_standard(
        session, principal, scope_code=scope_code, level=level, effective_from=effective_from
    )
    response.headers["ETag"] = etag(row.version)
    return standards.standard_read(row)


@router.get("", summary="The seat standards covering a county", responses=problem_responses())
async def list_seat_standards(
    county_code: CountyCode,
    session: SessionDep,
    principal: Reader,
    level: Level | None = None,
    year: Annotated[
        Year | None, Query(description="also answer the standard in force on 1 September")
    ] = None,
) -> SeatStandardList:
    """The region's, prefecture's and county's own standards, broadest scope first; with `year`,
    the one in force per level (none: the level has no standard that year)."""
    return await standards.standard_list(
        session, principal, county_code=county_code, level=level, year=year
    )
