"""Reports: GET /v1/assessments/{id}/report.{html,pdf,xlsx} (the stored assessment), and the
county verdict, trend and roll-up reports in the same three forms."""

import json
from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from evaluation.assessment.catalogue import catalogue_by_version
from evaluation.assessment.repository import AssessmentRepository
from evaluation.reports import county_render, render, workbook
from evaluation.reports import service as reports_service
from evaluation.reports.build import build_report
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import CountyCode
from junheng_kit.problems import (
    Forbidden,
    InvalidInput,
    NotFound,
    RuleViolated,
    problem_responses,
)
from junheng_kit.timeutil import utcnow

router = APIRouter(prefix="/v1/assessments", tags=["reports"])

Reader = Annotated[Principal, Depends(require_scopes("evaluation:read"))]

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _report(session: SessionDep, principal: Reader, assessment_id: UUID) -> dict[str, Any]:
    """The report's data for a stored assessment within the caller's jurisdiction."""
    assessment = await AssessmentRepository(session).get(
        assessment_id, within=principal.jurisdiction
    )
    return build_report(
        result=assessment.result,
        inputs=json.loads(assessment.inputs),
        assessed_at=assessment.created_at,
        generated_at=utcnow(),
        catalogue=catalogue_by_version(assessment.catalogue_version),
    )


ReportDep = Annotated[dict[str, Any], Depends(_report)]


async def _attachment(
    report: dict[str, Any], renderer: Callable[[dict[str, Any]], bytes], kind: str, media: str
) -> Response:
    content = await run_in_threadpool(renderer, report)  # CPU-bound: keep the loop free
    name = f"assessment-{report['county_code']}-{report['year']}.{kind}"
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get(
    "/{assessment_id}/report.html",
    response_class=HTMLResponse,
    summary="资源配置报告 as HTML",
    responses=problem_responses(NotFound),
)
async def report_html(report: ReportDep) -> HTMLResponse:
    return HTMLResponse(await run_in_threadpool(render.render_html, report))


@router.get(
    "/{assessment_id}/report.pdf",
    response_class=Response,
    summary="资源配置报告 as PDF (A4 landscape)",
    responses={200: {"content": {PDF: {}}}, **problem_responses(NotFound)},
)
async def report_pdf(report: ReportDep) -> Response:
    return await _attachment(report, render.render_pdf, "pdf", PDF)


@router.get(
    "/{assessment_id}/report.xlsx",
    response_class=Response,
    summary="资源配置报告 as XLSX (说明, 学校指标, 差异系数, 差距)",
    responses={200: {"content": {XLSX: {}}}, **problem_responses(NotFound)},
)
async def report_xlsx(report: ReportDep) -> Response:
    return await _attachment(report, workbook.render_xlsx, "xlsx", XLSX)


# ---------------------------------------------------------------- county, trend and roll-up

county_router = APIRouter(tags=["reports"])

Year = Annotated[int, Path(ge=2000, le=2100, description="school year by its start year")]
QueryYear = Annotated[int, Query(ge=2000, le=2100, description="school year by its start year")]
OptionalYear = Annotated[
    int | None, Query(ge=2000, le=2100, description="school year by its start year")
]
RegionCode = Annotated[
    str,
    Query(
        pattern=r"^\d{2}(\d{2}){0,2}$",
        description="GB/T 2260 prefix: province (2 digits), city (4) or county (6)",
    ),
]
Renderers = tuple[
    Callable[[dict[str, Any]], str],
    Callable[[dict[str, Any]], bytes],
    Callable[[dict[str, Any]], bytes],
]


async def _verdict(
    county_code: CountyCode, year: Year, session: SessionDep, principal: Reader
) -> dict[str, Any]:
    return await reports_service.verdict_report(
        session, principal, county_code=county_code, year=year
    )


async def _trends(
    county_code: CountyCode,
    session: SessionDep,
    principal: Reader,
    from_year: OptionalYear = None,
    to_year: OptionalYear = None,
) -> dict[str, Any]:
    return await reports_service.trend_report(
        session, principal, county_code=county_code, from_year=from_year, to_year=to_year
    )


async def _rollup(
    region_code: RegionCode, year: QueryYear, session: SessionDep, principal: Reader
) -> dict[str, Any]:
    return await reports_service.rollup_report(
        session, principal, region_code=region_code, year=year
    )


def _routes(
    path: str,
    name: str,
    what: str,
    source: Callable[..., Any],
    renderers: Renderers,
    file_name: Callable[[dict[str, Any]], str],
    errors: dict[int | str, dict[str, Any]],
) -> None:
    """The HTML, PDF and XLSX routes of one report at `path`.{html,pdf,xlsx}."""
    to_html, to_pdf, to_xlsx = renderers
    Data = Annotated[dict[str, Any], Depends(source)]

    async def as_html(report: Data) -> HTMLResponse:
        return HTMLResponse(await run_in_threadpool(to_html, report))

    async def as_pdf(report: Data) -> Response:
        return await _file(report, to_pdf, f"{file_name(report)}.pdf", PDF)

    async def as_xlsx(report: Data) -> Response:
        return await _file(report, to_xlsx, f"{file_name(report)}.xlsx", XLSX)

    county_router.add_api_route(
        f"{path}.html",
        as_html,
        methods=["GET"],
        response_class=HTMLResponse,
        summary=f"{what} as HTML",
        name=f"{name}_html",
        responses=errors,
    )
    county_router.add_api_route(
        f"{path}.pdf",
        as_pdf,
        methods=["GET"],
        response_class=Response,
        summary=f"{what} as PDF (A4 landscape, Noto Sans CJK embedded)",
        name=f"{name}_pdf",
        responses={200: {"content": {PDF: {}}}, **errors},
    )
    county_router.add_api_route(
        f"{path}.xlsx",
        as_xlsx,
        methods=["GET"],
        response_class=Response,
        summary=f"{what} as XLSX",
        name=f"{name}_xlsx",
        responses={200: {"content": {XLSX: {}}}, **errors},
    )


async def _file(
    report: dict[str, Any], renderer: Callable[[dict[str, Any]], bytes], name: str, media: str
) -> Response:
    content = await run_in_threadpool(renderer, report)  # CPU-bound: keep the loop free
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


_routes(
    "/v1/counties/{county_code}/years/{year}/verdict/report",
    "verdict_report",
    "县域认定报告 (the county verdict: four parts, failing items with gaps, school shortfalls)",
    _verdict,
    (county_render.verdict_html, county_render.verdict_pdf, county_render.verdict_xlsx),
    lambda r: f"verdict-{r['county_code']}-{r['year']}",
    problem_responses(Forbidden, RuleViolated),
)
_routes(
    "/v1/counties/{county_code}/trends/report",
    "trend_report",
    "资源配置多年趋势 (per indicator and level: county mean and 差异系数 per school year)",
    _trends,
    (county_render.trend_html, county_render.trend_pdf, county_render.trend_xlsx),
    lambda r: f"trends-{r['county_code']}",
    problem_responses(Forbidden, InvalidInput),
)
_routes(
    "/v1/rollups/report",
    "rollup_report",
    "资源配置汇总 (a city or province: every county's newest assessment of the year)",
    _rollup,
    (county_render.rollup_html, county_render.rollup_pdf, county_render.rollup_xlsx),
    lambda r: f"rollup-{r['region_code']}-{r['year']}",
    problem_responses(Forbidden, InvalidInput),
)
