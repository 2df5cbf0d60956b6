from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response

from assistance.identification import service
from assistance.identification.models import IdentificationJob, ReviewItem
from assistance.identification.repository import IdentificationRepository
from assistance.identification.schemas import (
    CoverageRead,
    JobCreate,
    JobRead,
    ReviewDecision,
    ReviewItemPage,
    ReviewItemRead,
    ReviewStatus,
)
from assistance.students.endpoints import PII
from assistance.students.models import Student
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.classification import masked
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import CountyCode
from junheng_kit.pagination import (
    CursorQuery,
    LimitQuery,
    cut_page,
    decode_uuid_cursor,
)
from junheng_kit.problems import (
    Conflict,
    Forbidden,
    NotFound,
    RuleViolated,
    problem_responses,
)

router = APIRouter(tags=["identification"])

Reader = Annotated[Principal, Depends(require_scopes("assistance:read"))]
Writer = Annotated[Principal, Depends(require_scopes("assistance:write"))]


def _job(job: IdentificationJob) -> JobRead:
    return JobRead.model_validate(job, from_attributes=True)


def _review(item: ReviewItem, student: Student, principal: Principal) -> ReviewItemRead:
    read = ReviewItemRead(
        id=item.id,
        job_id=item.job_id,
        student_id=item.student_id,
        student_name=student.name,
        student_citizen_id=student.citizen_id,
        county_code=item.county_code,
        school_code=item.school_code,
        school_year=item.school_year,
        kind=item.kind,
        agency=item.agency,
        category=item.category,
        list_ref=item.list_ref,
        assertion_id=item.assertion_id,
        list_citizen_id=item.list_citizen_id,
        list_name=item.list_name,
        status=item.status,
        reason=item.reason,
        decided_by=item.decided_by,
        decided_at=item.decided_at,
        proposed_awards=item.proposed_awards,
        version=item.version,
        created_at=item.created_at,
    )
    return read if PII in principal.scopes else masked(read)


@router.post(
    "/v1/identification-jobs",
    status_code=202,
    summary="Start a 应助尽助 identification job (免申即享)",
    responses=problem_responses(Conflict, Forbidden, RuleViolated),
)
async def create_job(
    body: JobCreate,
    request: Request,
    session: SessionDep,
    principal: Writer,
    response: Response,
    background: BackgroundTasks,
) -> JobRead:
    """Matches the county's enrolled students with the agencies' category lists in the
    background: proposes awards for the auto-identified, queues partial matches for review,
    raises notices for categories no longer confirmed, computes coverage and emits
    `assistance.coverage.computed`. Poll the Location for progress."""
    runner = request.app.state.identification_jobs
    job = await service.create_job(
        session, principal, request=body, stale_before=runner.stale_before()
    )
    # started once the response is on its way, i.e. after the job row committed
    background.add_task(runner.start, job.id)
    response.headers["Location"] = f"/v1/identification-jobs/{job.id}"
    return _job(job)


@router.get(
    "/v1/identification-jobs/{job_id}",
    summary="An identification job's progress and counts",
    responses=problem_responses(NotFound),
)
async def get_job(job_id: UUID, session: SessionDep, principal: Reader) -> JobRead:
    return _job(await IdentificationRepository(session).job(job_id, within=principal.jurisdiction))


@router.get(
    "/v1/review-items", summary="The review queue (人工复核)", responses=problem_responses()
)
async def list_review_items(
    session: SessionDep,
    principal: Reader,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    county_code: CountyCode | None = None,
    status: Annotated[ReviewStatus | None, Query()] = None,
    job_id: UUID | None = None,
) -> ReviewItemPage:
    """Partial matches in the caller's jurisdiction; masked without `assistance:pii`."""
    rows = await IdentificationRepository(session).review_page(
        within=principal.jurisdiction,
        county_code=county_code,
        status=status,
        job_id=job_id,
        after=decode_uuid_cursor(cursor),
        limit=limit,
    )
    rows, next_cursor = cut_page(rows, limit, key=lambda row: row[0].id)
    return ReviewItemPage(
        items=[_review(item, student, principal) for item, student in rows],
        next_cursor=next_cursor,
    )


@router.post(
    "/v1/review-items/{item_id}/decision",
    summary="Decide a review item: confirm (proposes the awards) or reject with a reason",
    responses=problem_responses(Conflict, NotFound),
)
async def decide_review_item(
    item_id: UUID, body: ReviewDecision, session: SessionDep, principal: Writer
) -> ReviewItemRead:
    item = await service.decide_review(session, principal, item_id=item_id, decision=body)
    student = await IdentificationRepository(session).student(item.student_id)
    return _review(item, student, principal)


@router.get(
    "/v1/coverage",
    summary="应助尽助 coverage per school and county",
    responses=problem_responses(Forbidden, NotFound),
)
async def get_coverage(
    session: SessionDep,
    principal: Reader,
    county_code: CountyCode,
    school_year: Annotated[int, Query(ge=2000, le=2100, description="start year of the 学年")],
) -> CoverageRead:
    """From the county's latest finished identification job for the school year."""
    return await service.coverage(
        session, principal, county_code=county_code, school_year=school_year
    )
