"""Counts by zone over HTTP: child counts (学龄人口) and resident population (常住人口) of a county
for a base year, each as JSON, CSV or XLSX; the seat forecast reads them."""

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from pydantic import TypeAdapter

from enrollment.zoning import counts
from enrollment.zoning.endpoints import Reader, Writer, body_openapi
from enrollment.zoning.models import CohortImport, ResidentPopulationImport
from enrollment.zoning.schemas import (
    CohortRow,
    CohortsPut,
    CohortsRead,
    ResidentPopulationPut,
    ResidentPopulationRead,
    ResidentRow,
    Year,
)
from enrollment.zoning.tables import (
    CSV,
    JSON,
    XLSX,
    media_type_of,
    read_cohorts,
    read_json,
    read_residents,
)
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import CountyCode
from junheng_kit.problems import (
    BadRequest,
    NotFound,
    RuleViolated,
    UnsupportedMediaType,
    problem_responses,
)

router = APIRouter(prefix="/v1/zones", tags=["zones"])

COHORTS = TypeAdapter(CohortsPut)
RESIDENTS = TypeAdapter(ResidentPopulationPut)


def _cohorts(record: CohortImport, rows: list[CohortRow]) -> CohortsRead:
    return CohortsRead(
        county_code=record.county_code,
        year=record.year,
        source=record.source,
        rows=rows,
        content_sha256=record.content_sha256,
        imported_by=record.imported_by,
        imported_at=record.imported_at,
    )


@router.put(
    "/cohorts/{county_code}/{year}",
    summary="Replace a county's child counts by zone (学龄人口)",
    response_model=CohortsRead,
    response_model_exclude_none=True,
    responses=problem_responses(BadRequest, RuleViolated, UnsupportedMediaType),
    openapi_extra=body_openapi(
        CohortsPut, "zone_code,birth_year,birth_month,grade,children\nDS-P01,2020,,,120\n"
    ),
)
async def put_cohorts(
    county_code: CountyCode,
    year: Annotated[Year, Path()],
    request: Request,
    session: SessionDep,
    principal: Writer,
    content_type: Annotated[str, Header()] = "",
) -> CohortsRead:
    """Counts taken in base year `year`: 户籍 children of each primary zone by `birth_year`
    (and `birth_month` where known), and pupils of each junior zone by primary `grade`. JSON
    `{"rows": [...]}`, or CSV / XLSX `zone_code,birth_year,birth_month,grade,children`; codes must
    be zones of the newest map of that year. Replaces the year's counts; one bad row stores
    nothing."""
    content = await request.body()
    media_type = media_type_of(content_type, (JSON, CSV, XLSX))
    if media_type != JSON:
        rows = counts.parse_rows(read_cohorts(content, media_type), counts.COHORT_ROW)
        source = "xlsx" if media_type == XLSX else "csv"
    else:
        rows = list(enumerate(read_json(COHORTS, content).rows))
        source = "json"
    record = await counts.replace_cohorts(
        session,
        principal,
        county_code=county_code,
        year=year,
        rows=rows,
        source=source,
        content=content,
    )
    return _cohorts(record, [row for _, row in rows])


@router.get(
    "/cohorts/{county_code}/{year}",
    summary="A county's child counts by zone",
    response_model_exclude_none=True,
    responses=problem_responses(NotFound),
)
async def get_cohorts(
    county_code: CountyCode,
    year: Annotated[Year, Path()],
    session: SessionDep,
    principal: Reader,
) -> CohortsRead:
    record, rows = await counts.stored_cohorts(
        session, principal, county_code=county_code, year=year
    )
    return _cohorts(record, rows)


def _residents(record: ResidentPopulationImport, rows: list[ResidentRow]) -> ResidentPopulationRead:
    return ResidentPopulationRead(
        county_code=record.county_code,
        year=record.year,
        source=record.source,
        rows=rows,
        content_sha256=record.content_sha256,
        imported_by=record.imported_by,
        imported_at=record.imported_at,
    )


@router.put(
    "/resident-population/{county_code}/{year}",
    summary="Replace a county's resident population by zone (常住人口)",
    responses=problem_responses(BadRequest, RuleViolated, UnsupportedMediaType),
    openapi_extra=body_openapi(
        ResidentPopulationPut, "zone_code,level,residents\nDS-P01,primary,23400\n"
    ),
)
async def put_resident_population(
    county_code: CountyCode,
    year: Annotated[Year, Path()],
    request: Request,
    session: SessionDep,
    principal: Writer,
    content_type: Annotated[str, Header()] = "",
) -> ResidentPopulationRead:
    """常住人口 counted in base year `year`, per zone: the base of the 学位配置标准 (seed 002:
    "以常住人口为基数"). JSON `{"rows": [...]}`, or CSV / XLSX `zone_code,level,residents`
    (片区代码, 学段 — primary/junior or 小学/初中 —, 常住人口). `level` names the zone map: each
    code must be a zone of the newest map of that level and year (`zone_in_map`,
    `zone_map_exists`); `residents` ≥ 0; one row per zone (`row_unique`). Replaces the year's
    population; one bad row stores nothing. A zone without a row has no standard seats in the
    forecast."""
    content = await request.body()
    media_type = media_type_of(content_type, (JSON, CSV, XLSX))
    if media_type != JSON:
        rows = counts.parse_rows(read_residents(content, media_type), counts.RESIDENT_ROW)
        source = "xlsx" if media_type == XLSX else "csv"
    else:
        rows = list(enumerate(read_json(RESIDENTS, content).rows))
        source = "json"
    record = await counts.replace_residents(
        session,
        principal,
        county_code=county_code,
        year=year,
        rows=rows,
        source=source,
        content=content,
    )
    return _residents(record, [row for _, row in rows])


@router.get(
    "/resident-population/{county_code}/{year}",
    summary="A county's resident population by zone",
    responses=problem_responses(NotFound),
)
async def get_resident_population(
    county_code: CountyCode,
    year: Annotated[Year, Path()],
    session: SessionDep,
    principal: Reader,
) -> ResidentPopulationRead:
    record, rows = await counts.stored_residents(
        session, principal, county_code=county_code, year=year
    )
    return _residents(record, rows)
