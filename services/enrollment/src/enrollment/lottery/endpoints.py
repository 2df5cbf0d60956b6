from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response

from enrollment.lottery import service
from enrollment.lottery.repository import AssignmentRunRepository
from enrollment.lottery.schemas import (
    AssignmentRunCreate,
    AssignmentRunRead,
    AssignmentRunRequest,
    ComparisonRead,
    RunProvenanceRead,
)
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.gc_pause import CollectorPausedRoute
from junheng_kit.problems import NotFound, RuleViolated, problem_responses
from junheng_kit.timeutil import china_today

# instances and answers run to tens of MB of JSON: the collector waits while they are handled
router = APIRouter(
    prefix="/v1/assignment-runs", tags=["assignment-runs"], route_class=CollectorPausedRoute
)

Reader = Annotated[Principal, Depends(require_scopes("enrollment:read"))]
Writer = Annotated[Principal, Depends(require_scopes("enrollment:write"))]


def _stored(
    text: str, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """The answer as serialised once at creation (sorted keys): byte-identical on every read."""
    return Response(text, status_code=status_code, headers=headers, media_type="application/json")


@router.post(
    "",
    status_code=201,
    response_model=AssignmentRunRead,
    summary="Run 电脑派位 on an explicit instance or on a county's verified applications",
    responses=problem_responses(RuleViolated),
)
async def create_assignment_run(
    body: AssignmentRunRequest, session: SessionDep, principal: Writer
) -> Response:
    """电脑派位: assign the applicants by deferred acceptance (student-proposing) or immediate
    acceptance (志愿优先), with public lottery numbers; emits `enrollment.assignment.published`.

    The body is either an explicit instance (seed, mechanism, tie_breaking, schools,
    applicants) — the same instance and seed give the same body, except `id` — or a reference
    (county_code, year, level, seed, mechanism, tie_breaking): the verified applications of
    that county, the published seat plans as capacities and the priority rules in force as
    tiers. The instance a reference run used is at `/instance` for replay."""
    if isinstance(body, AssignmentRunCreate):
        run = await service.create_run(session, principal, request=body)
    else:
        run = await service.create_run_from_applications(
            session, principal, request=body, today=china_today()
        )
    return _stored(
        run.result, status_code=201, headers={"Location": f"/v1/assignment-runs/{run.id}"}
    )


@router.get(
    "/{run_id}",
    response_model=AssignmentRunRead,
    summary="An assignment run's result",
    responses=problem_responses(NotFound),
)
async def get_assignment_run(run_id: UUID, session: SessionDep, principal: Reader) -> Response:
    """Readable by the client that created it and by any client whose jurisdiction covers the
    province (school_code[2:4]) of every school in the instance."""
    run = await AssignmentRunRepository(session).get(run_id, reader=principal)
    return _stored(run.result)


@router.get(
    "/{run_id}/comparison",
    summary="Deferred vs immediate acceptance on the run's instance",
    responses=problem_responses(NotFound),
)
async def compare_assignment_run(
    run_id: UUID, session: SessionDep, principal: Reader
) -> ComparisonRead:
    """The other mechanism on the same stored instance and lottery: first-choice share, rank
    distribution, who gains and who loses."""
    run = await AssignmentRunRepository(session).get(run_id, reader=principal)
    return ComparisonRead.model_validate(service.compare_run(run))


@router.get(
    "/{run_id}/instance",
    summary="The exact instance a run assigned (for replay)",
    responses=problem_responses(NotFound),
)
async def get_assignment_run_instance(
    run_id: UUID, session: SessionDep, principal: Reader
) -> Response:
    """The canonical JSON whose SHA-256 is the run's `input_sha256`: POST it back to
    `/v1/assignment-runs` to replay the run byte for byte (apart from `id`)."""
    run = await AssignmentRunRepository(session).get(run_id, reader=principal)
    return _stored(run.instance)


@router.get(
    "/{run_id}/provenance",
    summary="Where a run's instance came from",
    responses=problem_responses(NotFound),
)
async def get_assignment_run_provenance(
    run_id: UUID, session: SessionDep, principal: Reader
) -> RunProvenanceRead:
    run = await AssignmentRunRepository(session).get(run_id, reader=principal)
    return RunProvenanceRead(
        run_id=str(run.id),
        source=run.source,
        county_code=run.county_code,
        year=run.year,
        level=run.level,
        policy_id=str(run.policy_id) if run.policy_id else None,
        policy_version=run.policy_version,
        input_sha256=run.input_sha256,
    )
