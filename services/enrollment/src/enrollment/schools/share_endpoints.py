"""县域民办义务教育在校生占比 over HTTP (issue 19; seed 000): the county's 民办 share of pupils
and the cap a county sets for it."""

from typing import Annotated

from fastapi import APIRouter, Query

from enrollment.schools import service
from enrollment.schools.endpoints import Reader, Writer
from enrollment.schools.schemas import (
    PrivateShareCapCreate,
    PrivateShareCapList,
    PrivateShareCapRead,
    PrivateShareRead,
)
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import CountyCode
from junheng_kit.problems import problem_responses

router = APIRouter(prefix="/v1/counties/{county_code}", tags=["schools"])

Year = Annotated[int, Query(ge=2000, le=2100, description="school year by its start year")]


@router.get(
    "/private-share",
    summary="The county's 民办 share of pupils (民办在校生占比)",
    responses=problem_responses(),
)
async def get_private_share(
    county_code: CountyCode, year: Year, session: SessionDep, principal: Reader
) -> PrivateShareRead:
    """Pupils admitted to 民办 and 公办 schools of the county for the school year, and the
    share against the county's cap in force on 1 September (seed 000: 严格控制县域内民办义务
    教育在校生占比). The counts are the admissions confirmed in enrollment for the entry grades
    — the year's intake, not the 在校生 of all grades (see `basis`); pupils at schools whose
    办学性质 is not recorded are counted apart. Without a cap the answer says none is set."""
    return await service.private_share(session, principal, county_code=county_code, year=year)


@router.post(
    "/private-share-caps",
    status_code=201,
    summary="Set the county's cap on the 民办 share of pupils",
    responses=problem_responses(),
)
async def set_private_share_cap(
    county_code: CountyCode, body: PrivateShareCapCreate, session: SessionDep, principal: Writer
) -> PrivateShareCapRead:
    """民办在校生占比上限: append an effective-dated cap from the county's own document. No
    official value exists (domain.md §2.4), so there is none until a county sets it; a later
    row with the same start replaces an earlier one for the dates it covers."""
    cap = await service.set_private_share_cap(
        session, principal, county_code=county_code, request=body
    )
    return service.cap_read(cap)


@router.get(
    "/private-share-caps",
    summary="The caps the county has set on the 民办 share",
    responses=problem_responses(),
)
async def list_private_share_caps(
    county_code: CountyCode, session: SessionDep, principal: Reader
) -> PrivateShareCapList:
    caps = await service.private_share_caps(session, principal, county_code=county_code)
    return PrivateShareCapList(items=[service.cap_read(c) for c in caps])
