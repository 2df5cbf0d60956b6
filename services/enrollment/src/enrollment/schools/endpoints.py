from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from enrollment.schools import service
from enrollment.schools.models import School
from enrollment.schools.repository import SchoolRepository
from enrollment.schools.schemas import Location, SchoolCreate, SchoolPage, SchoolRead, SchoolUpdate
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.etags import etag, version_from_if_match
from junheng_kit.identifiers import CountyCode
from junheng_kit.pagination import CursorQuery, LimitQuery, cut_page, decode_cursor
from junheng_kit.problems import (
    Conflict,
    NotFound,
    PreconditionFailed,
    RuleViolated,
    problem_responses,
)
from junheng_kit.school_codes import ownership_label, school_type_label, urban_rural_label

router = APIRouter(prefix="/v1/schools", tags=["schools"])

Reader = Annotated[Principal, Depends(require_scopes("enrollment:read"))]
Writer = Annotated[Principal, Depends(require_scopes("enrollment:write"))]


def _read(school: School) -> SchoolRead:
    return SchoolRead(
        school_code=school.school_code,
        name=school.name,
        levels=school.levels,
        county_code=school.county_code,
        location=Location(longitude=school.longitude, latitude=school.latitude),
        planned_capacity=school.planned_capacity,
        school_type=school.school_type,
        school_type_label=school_type_label(school.school_type),
        urban_rural_code=school.urban_rural_code,
        urban_rural_label=urban_rural_label(school.urban_rural_code),
        division_code=school.division_code,
        ownership=school.ownership,  # public | private, by the schema
        ownership_label=ownership_label(school.ownership),
        version=school.version,
        created_at=school.created_at,
        updated_at=school.updated_at,
    )


@router.post(
    "",
    status_code=201,
    summary="Register a school (学校登记)",
    responses=problem_responses(Conflict, RuleViolated),
)
async def register_school(
    body: SchoolCreate, session: SessionDep, principal: Writer, response: Response
) -> SchoolRead:
    """学校登记: register a school; emits `enrollment.school.registered`. The national codes
    (办学类型, 城乡分类代码, 统计用区划代码, 办学性质) are optional and take the code or its
    Chinese label; a type that contradicts the levels (`school_type_levels`) or a 统计用区划代码
    outside the county (`division_code_in_county`) is 422."""
    school = await service.register_school(session, principal, request=body)
    response.headers["Location"] = f"/v1/schools/{school.school_code}"
    response.headers["ETag"] = etag(school.version)
    return _read(school)


@router.get("", summary="List schools", responses=problem_responses())
async def list_schools(
    session: SessionDep,
    principal: Reader,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    county_code: CountyCode | None = None,
    level: Annotated[
        str | None, Query(pattern="^(primary|junior|nine_year|complete_secondary)$")
    ] = None,
) -> SchoolPage:
    """Schools in the caller's jurisdiction, by school code."""
    rows = await SchoolRepository(session).page(
        within=principal.jurisdiction,
        county_code=county_code,
        level=level,
        after=decode_cursor(cursor),
        limit=limit,
    )
    rows, next_cursor = cut_page(rows, limit, key=lambda s: s.school_code)
    return SchoolPage(
        items=[_read(s) for s in rows],
        next_cursor=next_cursor,
    )


@router.get("/{school_code}", summary="Get a school", responses=problem_responses(NotFound))
async def get_school(
    school_code: str, session: SessionDep, principal: Reader, response: Response
) -> SchoolRead:
    school = await SchoolRepository(session).get(school_code, within=principal.jurisdiction)
    response.headers["ETag"] = etag(school.version)
    return _read(school)


@router.patch(
    "/{school_code}",
    summary="Change a school (学校信息变更)",
    responses=problem_responses(NotFound, PreconditionFailed, RuleViolated),
)
async def update_school(
    school_code: str,
    body: SchoolUpdate,
    session: SessionDep,
    principal: Writer,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> SchoolRead:
    """学校信息变更: change a school; send `If-Match: "<version>"` to avoid lost updates;
    emits `enrollment.school.updated`. A national code sent as null is removed; the codes are
    checked against the changed entry as a whole (422 `school_type_levels`,
    `division_code_in_county`)."""
    school = await service.update_school(
        session,
        principal,
        school_code=school_code,
        request=body,
        if_match=version_from_if_match(if_match),
    )
    response.headers["ETag"] = etag(school.version)
    return _read(school)
