from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response
from pydantic_core import to_json

from evaluation.whatif import service
from evaluation.whatif.schemas import WhatIfRead, WhatIfRequest
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.problems import NotFound, RuleViolated, problem_responses

router = APIRouter(prefix="/v1/assessments", tags=["what-if"])

Reader = Annotated[Principal, Depends(require_scopes("evaluation:read"))]


@router.post(
    "/{assessment_id}/what-if",
    response_model=WhatIfRead,
    summary="What if: an assessment re-run with changes, and the cheapest fix (假设分析)",
    responses=problem_responses(NotFound, RuleViolated),
)
async def what_if(
    assessment_id: UUID, body: WhatIfRequest, session: SessionDep, principal: Reader
) -> Response:
    """Apply the changes in order (move teachers, add resources, set enrollment) to the stored
    assessment's sections and re-assess them with the same rules and catalogue; answer baseline
    and scenario side by side, the sections changed, and a greedy cheapest fix for the scenario.
    Nothing is stored, so reading scope is enough."""
    document = await service.what_if(session, principal, assessment_id=assessment_id, request=body)
    # built to the `WhatIfRead` contract (the API tests hold it to that): serialised once
    return Response(to_json(document), media_type="application/json")
