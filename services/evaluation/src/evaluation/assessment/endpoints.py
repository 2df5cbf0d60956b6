from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Response
from pydantic_core import to_json

from evaluation.assessment import service
from evaluation.assessment.repository import AssessmentRepository
from evaluation.assessment.schemas import AssessmentCreate, AssessmentRead, AssessmentSourcesRead
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.problems import NotFound, RuleViolated, problem_responses

router = APIRouter(prefix="/v1/assessments", tags=["assessments"])

Reader = Annotated[Principal, Depends(require_scopes("evaluation:read"))]
Writer = Annotated[Principal, Depends(require_scopes("evaluation:write"))]


@router.post(
    "",
    status_code=201,
    response_model=AssessmentRead,
    summary="Assess a county's resource allocation (资源配置评估)",
    responses=problem_responses(RuleViolated),
)
async def create_assessment(
    body: AssessmentCreate, session: SessionDep, principal: Writer
) -> Response:
    """Seven indicators per school section against the catalogue in force for the school year,
    the per-school rule (≥ 6 of 7 met, the rest ≥ 85 % of the threshold) and the pupil-weighted
    差异系数 per level; emits `evaluation.assessment.completed`."""
    assessment = await service.create_assessment(session, principal, request=body)
    return stored_answer(
        assessment.result, status_code=201, headers={"Location": f"/v1/assessments/{assessment.id}"}
    )


@router.get(
    "/{assessment_id}",
    response_model=AssessmentRead,
    summary="An assessment as computed",
    responses=problem_responses(NotFound),
)
async def get_assessment(assessment_id: UUID, session: SessionDep, principal: Reader) -> Response:
    assessment = await AssessmentRepository(session).get(
        assessment_id, within=principal.jurisdiction
    )
    return stored_answer(assessment.result)


@router.get(
    "/{assessment_id}/sources",
    summary="Where every number of an assessment came from (数据来源)",
    responses=problem_responses(NotFound),
)
async def get_assessment_sources(
    assessment_id: UUID, session: SessionDep, principal: Reader
) -> AssessmentSourcesRead:
    """Per section and number: the request, the upload by its SHA-256, or the staffing event
    (id, version, time) whose teacher counts replaced the upload's for indicators 1–3."""
    assessment = await AssessmentRepository(session).get(
        assessment_id, within=principal.jurisdiction
    )
    return service.assessment_sources(assessment)


def stored_answer(
    result: dict[str, Any], *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """The stored answer, serialised once: it was built to the `AssessmentRead` contract (the
    API tests hold it to that), so re-validating 14,000 indicator cells per call is skipped."""
    return Response(
        to_json(result), status_code=status_code, headers=headers, media_type="application/json"
    )
