"""GET /v1/assessments/{id}/report.{html,pdf,xlsx}: the stored assessment as a report."""

import json
from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from evaluation.assessment.catalogue import catalogue_by_version
from evaluation.assessment.repository import AssessmentRepository
from evaluation.reports import render
from evaluation.reports.build import build_report
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.problems import NotFound, problem_responses
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
    return await _attachment(report, render.render_xlsx, "xlsx", XLSX)
