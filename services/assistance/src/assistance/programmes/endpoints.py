"""资助项目 catalogue: programmes, their versions and effective-dated standards."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from assistance.programmes import service
from assistance.programmes.schemas import (
    ProgrammeList,
    ProgrammePut,
    ProgrammeRead,
    StandardCreate,
    StandardList,
    StandardRead,
)
from assistance.students.audit import ProgrammeChange
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import CountyCode
from junheng_kit.problems import Conflict, NotFound, RuleViolated, problem_responses

router = APIRouter(prefix="/v1/programmes", tags=["programmes"])

Reader = Annotated[Principal, Depends(require_scopes("assistance:read"))]
Writer = Annotated[Principal, Depends(require_scopes("assistance:write"))]
Code = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{1,39}$", description="programme code")]
OnQuery = Annotated[date | None, Query(description="the version in force on this date")]


@router.get("", summary="Programmes visible to the caller", responses=problem_responses())
async def list_programmes(
    session: SessionDep, principal: Reader, on: OnQuery = None
) -> ProgrammeList:
    """National programmes, and provincial/county ones of the caller's jurisdiction: the newest
    version of each, or with `?on=` the version in force that day."""
    rows = await service.list_programmes(session, principal, on=on)
    return ProgrammeList(items=[ProgrammeRead.model_validate(r) for r in rows])


@router.get("/{code}", summary="One programme", responses=problem_responses(NotFound))
async def get_programme(
    code: Code, session: SessionDep, principal: Reader, on: OnQuery = None
) -> ProgrammeRead:
    return ProgrammeRead.model_validate(
        await service.get_programme(session, principal, code=code, on=on)
    )


@router.get(
    "/{code}/versions",
    summary="Every version of a programme",
    responses=problem_responses(NotFound),
)
async def list_versions(code: Code, session: SessionDep, principal: Reader) -> ProgrammeList:
    rows = await service.programme_versions(session, principal, code=code)
    return ProgrammeList(items=[ProgrammeRead.model_validate(r) for r in rows])


@router.put(
    "/{code}",
    summary="Define a local programme or add a version of one",
    responses=problem_responses(RuleViolated),
)
async def put_programme(
    audit: ProgrammeChange,
    code: Code,
    body: ProgrammePut,
    session: SessionDep,
    principal: Writer,
    response: Response,
) -> ProgrammeRead:
    """Each PUT appends a version (effective from its date); national programmes (两免一补,
    营养改善计划) come with the catalogue and answer 403 `national_catalogue`."""
    row = await service.put_programme(session, principal, code=code, request=body)
    audit.touched(ids=[f"{code}@{row.effective_from}"])
    response.headers["Location"] = f"/v1/programmes/{code}?on={row.effective_from}"
    return ProgrammeRead.model_validate(row)


@router.put(
    "/{code}/standards",
    status_code=201,
    summary="Publish a new effective-dated standard (amounts, tiers, schedule, funding shares)",
    responses=problem_responses(NotFound, RuleViolated, Conflict),
)
async def add_standard(
    audit: ProgrammeChange, code: Code, body: StandardCreate, session: SessionDep, principal: Writer
) -> StandardRead:
    """Applies to awards of school years starting on or after `effective_from` in the scope;
    awards keep the amount and standard they were made with."""
    row = await service.add_standard(session, principal, code=code, request=body)
    audit.touched(ids=[row.id])
    return StandardRead.model_validate(row)


@router.get(
    "/{code}/standards", summary="A programme's standards", responses=problem_responses(NotFound)
)
async def list_standards(
    code: Code,
    session: SessionDep,
    principal: Reader,
    county_code: Annotated[CountyCode | None, Query()] = None,
    on: Annotated[date | None, Query(description="with county_code: mark the one in force")] = None,
) -> StandardList:
    return await service.list_standards(
        session, principal, code=code, county_code=county_code, on=on
    )
