from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import ValidationError
from pydantic_core import from_json
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission import lifecycle, placement, reads, service, submission
from enrollment.admission.audit import Read, Submitted, Updated, touched
from enrollment.admission.models import Application
from enrollment.admission.read_schemas import (
    ApplicationPage,
    ApplicationRead,
    ApplicationStatus,
    ApplicationSummary,
)
from enrollment.admission.repository import ApplicationRepository
from enrollment.admission.schemas import (
    AdmissionRead,
    AdmissionsConfirm,
    AdmissionsRead,
    ApplicationCreate,
    ApplicationHistory,
    ApplicationPriorities,
    Document,
    HistoryEntry,
    OverflowProposalRead,
    PriorityAtSchool,
    TransitionCreate,
    VerificationPut,
    VerificationRead,
    Year,
)
from enrollment.facts.endpoints import checked_facts
from enrollment.lottery.commute import service as commute
from junheng_kit.audit import fast_trail
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.etags import etag, version_from_if_match
from junheng_kit.fast_routes import FastRequest
from junheng_kit.group_commit import GroupCommit, Settled
from junheng_kit.idempotency import CLAIM_STATE, Claim
from junheng_kit.identifiers import CountyCode
from junheng_kit.pagination import (
    CursorQuery,
    LimitQuery,
    cut_page,
    decode_uuid_cursor,
)
from junheng_kit.problems import (
    Conflict,
    DomainError,
    NotFound,
    PreconditionFailed,
    RuleViolated,
    problem_responses,
)
from junheng_kit.timeutil import china_today

router = APIRouter(tags=["admission"])

Reader = Annotated[Principal, Depends(require_scopes("enrollment:read"))]
Writer = Annotated[Principal, Depends(require_scopes("enrollment:write"))]
Level = Annotated[Literal["primary", "junior"], Path(description="学段")]


def _secret(state: Any) -> bytes:
    """The key of the pseudonymous student keys (HMAC of the citizen ID)."""
    return state.settings.pseudonym_key.get_secret_value().encode()  # type: ignore[no-any-return]


# ---------------------------------------------------------------- applications


async def _read(
    session: SessionDep, application: Application, principal: Principal
) -> ApplicationRead:
    required, checks = await service.checklist(session, application, today=china_today())
    admission = (
        await lifecycle.admission_of(session, application.id)
        if application.status == "admitted"
        else None
    )
    read = reads.application_read(
        application, required, checks, pii=reads.shows_pii(principal), admission=admission
    )
    read.facts = await checked_facts(session, application.id)  # data sharing (issue 22)
    return read


Submissions = GroupCommit[submission.Submission, submission.Submitted]


def _submissions(state: Any) -> Submissions:
    """The app's group commit for submissions: applications arriving together are checked and
    recorded in one transaction the kit owns (`submission.submit_applications` over the batch),
    their Idempotency-Keys claimed and answered in it too."""
    submissions: Submissions | None = getattr(state, "application_submissions", None)
    if submissions is None:

        async def submit(
            session: AsyncSession, items: Sequence[submission.Submission]
        ) -> Sequence[submission.Submitted | DomainError]:
            return await submission.submit_applications(
                session, items, secret=_secret(state), today=china_today()
            )

        submissions = state.application_submissions = GroupCommit(
            state,
            submit,
            claim_of=lambda item: item.claim,
            answer=lambda outcome: (201, *_created(outcome)),
            name="applications",
        )
    return submissions


def _created(outcome: submission.Submitted) -> tuple[dict[str, str], bytes]:
    """The 201 answer's headers and body (the route and the fast route answer the same)."""
    application = outcome.application
    answer = reads.application_read(application, outcome.required, {}, pii=outcome.shows_pii)
    headers = {
        "content-type": "application/json",
        "location": f"/v1/applications/{application.id}",
        "etag": etag(application.version, unmasked=outcome.shows_pii),
    }
    return headers, answer.model_dump_json(by_alias=True).encode()


def _created_response(outcome: submission.Submitted, claim: Claim | None) -> Response:
    headers, body = claim.answer[1:] if claim is not None and claim.answer else _created(outcome)
    return Response(body, status_code=201, headers=headers)


@router.post(
    "/v1/applications",
    status_code=201,
    summary="Apply for a school place (入学申请)",
    responses=problem_responses(Conflict, RuleViolated),
)
async def submit_application(
    audit: Submitted,
    body: ApplicationCreate,
    request: Request,
    principal: Writer,
) -> ApplicationRead:
    """A guardian applies for grade 1 or grade 7. Checked: the 公民身份号码 (MOD 11-2) and the
    birth date in it, the age rule, the zones in force at the home (and 户籍) address, the
    ranked choices among the zone's schools, a grade-7 child's 小学毕业学校 (registered, with a
    primary section; none for grade 1), one application per child and year. Send an
    `Idempotency-Key` header to make retries safe. Emits `enrollment.application.submitted`.

    Applications arriving together are recorded in one transaction (group commit); each is
    checked and answered on its own."""
    claim = request.scope.get("state", {}).get(CLAIM_STATE)
    outcome = await _submissions(request.app.state).submit(
        submission.Submission(principal, body, claim)
    )
    if isinstance(outcome, DomainError):
        raise outcome
    if isinstance(outcome, Settled):
        return outcome.response()  # type: ignore[return-value]
    touched(audit, outcome.application, principal)
    return _created_response(outcome, claim)  # type: ignore[return-value]


async def submit_application_fast(request: FastRequest) -> Response | None:
    """POST /v1/applications for the common case (kit fast routes: no routing, dependency
    injection or response re-validation): a JSON body that validates, from a caller holding
    enrollment:write. Anything else — no token, a body with errors — is left to the route
    above, which answers it as always. Same checks, same batch, same answer."""
    if not request.is_json() or request.scope.get("query_string"):
        return None  # the route answers (a query parameter: 422 naming it)
    principal = await request.principal("enrollment:write")
    if principal is None:
        return None
    try:  # validated as FastAPI does: the decoded JSON, in python mode
        body = ApplicationCreate.model_validate(from_json(request.body))
    except (ValidationError, ValueError):
        return None
    audit = fast_trail(request.scope, principal, "application", "create")
    claim = request.scope.get("state", {}).get(CLAIM_STATE)
    outcome = await _submissions(request.state).submit(
        submission.Submission(principal, body, claim)
    )
    if isinstance(outcome, DomainError):
        raise outcome
    if isinstance(outcome, Settled):
        return outcome.response()
    touched(audit, outcome.application, principal)
    return _created_response(outcome, claim)


@router.get("/v1/applications", summary="List applications", responses=problem_responses())
async def list_applications(
    session: SessionDep,
    principal: Reader,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    county_code: CountyCode | None = None,
    year: Year | None = None,
    grade: Annotated[Literal[1, 7] | None, Query()] = None,
    status: Annotated[ApplicationStatus | None, Query()] = None,
) -> ApplicationPage:
    """Applications in the caller's jurisdiction, oldest first; no personal data in the list."""
    rows = await ApplicationRepository(session).page(
        within=principal.jurisdiction,
        county_code=county_code,
        year=year,
        grade=grade,
        status=status,
        after=decode_uuid_cursor(cursor),
        limit=limit,
    )
    rows, next_cursor = cut_page(rows, limit, key=lambda a: a.id)
    return ApplicationPage(
        items=[
            ApplicationSummary(
                id=a.id,
                county_code=a.county_code,
                year=a.year,
                grade=a.grade,
                status=a.status,
                migrant=a.migrant,
                choices=a.choices,
                created_at=a.created_at,
            )
            for a in rows
        ],
        next_cursor=next_cursor,
    )


@router.get(
    "/v1/applications/{application_id}",
    summary="An application, with its checklist",
    responses=problem_responses(NotFound),
)
async def get_application(
    audit: Read, application_id: UUID, session: SessionDep, principal: Reader, response: Response
) -> ApplicationRead:
    application = await ApplicationRepository(session).get(
        application_id, within=principal.jurisdiction
    )
    touched(audit, application, principal)
    response.headers["ETag"] = etag(application.version, unmasked=reads.shows_pii(principal))
    return await _read(session, application, principal)


@router.post(
    "/v1/applications/{application_id}/transitions",
    summary="Move an application through review (审核)",
    responses=problem_responses(NotFound, PreconditionFailed, RuleViolated),
)
async def transition_application(
    audit: Updated,
    application_id: UUID,
    body: TransitionCreate,
    session: SessionDep,
    principal: Writer,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> ApplicationRead:
    """submitted → verifying → verified | needs_documents | rejected (with a reason the family
    reads); needs_documents → verifying when documents come in; verified needs every document
    of the checklist confirmed. Every step is in `/history`."""
    application = await service.transition(
        session,
        principal,
        application_id=application_id,
        request=body,
        if_match=version_from_if_match(if_match),
        today=china_today(),
    )
    touched(audit, application, principal)
    response.headers["ETag"] = etag(application.version, unmasked=reads.shows_pii(principal))
    return await _read(session, application, principal)


@router.put(
    "/v1/applications/{application_id}/verifications/{document}",
    summary="Record the check of one document (核验)",
    responses=problem_responses(NotFound, RuleViolated),
)
async def verify_document(
    application_id: UUID,
    document: Document,
    body: VerificationPut,
    session: SessionDep,
    principal: Writer,
) -> VerificationRead:
    """Source, time, result (confirmed / refuted / pending) and reason of one check; the latest
    check counts for the checklist, every check stays in `/history`."""
    verification = await service.verify_document(
        session,
        principal,
        application_id=application_id,
        document=document,
        request=body,
        today=china_today(),
    )
    return VerificationRead(
        document=verification.document,
        result=verification.result,
        source=verification.source,
        reason=verification.reason,
        checked_by=verification.checked_by,
        checked_at=verification.checked_at,
    )


@router.get(
    "/v1/applications/{application_id}/history",
    summary="The audit trail of an application",
    responses=problem_responses(NotFound),
)
async def application_history(
    application_id: UUID, session: SessionDep, principal: Reader
) -> ApplicationHistory:
    repository = ApplicationRepository(session)
    application = await repository.get(application_id, within=principal.jurisdiction)
    return ApplicationHistory(
        application_id=application.id,
        items=[
            HistoryEntry(
                at=e.at,
                actor=e.actor,
                action=e.action,
                from_status=e.from_status,
                to_status=e.to_status,
                reason=e.reason,
                detail=e.detail,
            )
            for e in await repository.history(application.id)
        ],
    )


@router.get(
    "/v1/applications/{application_id}/priorities",
    summary="The priority tier at each chosen school, and why",
    responses=problem_responses(NotFound, RuleViolated),
)
async def application_priorities(
    audit: Read,
    application_id: UUID,
    session: SessionDep,
    principal: Reader,
    on: Annotated[date | None, Query(description="policy in force on this day")] = None,
) -> ApplicationPriorities:
    """The household facts measured on the policy's reference date and the first tier whose
    conditions hold at each chosen school (none: not admissible there, left to 统筹), with the
    school facts: in the 户籍 zone, in the home zone, the child's own 九年一贯制 school."""
    application = await ApplicationRepository(session).get(
        application_id, within=principal.jurisdiction
    )
    touched(audit, application, principal)  # the household's facts
    policy, facts, rows = await service.priorities_of(session, application, on=on or china_today())
    home, hukou = set(application.home_schools), set(application.hukou_schools)
    return ApplicationPriorities(
        application_id=application.id,
        policy_id=policy.id,
        policy_version=policy.version,
        facts=facts,
        schools=[
            PriorityAtSchool(
                school_code=code,
                tier=tier,
                tier_name=name,
                hukou_in_zone=code in hukou,
                home_in_zone=code in home,
                own_primary_leaver=own,
            )
            for code, tier, name, own in rows
        ],
    )


# ---------------------------------------------------------------- 统筹 and admissions


@router.get(
    "/v1/assignment-runs/{run_id}/overflow",
    summary="统筹: the nearest school with seats left for each family the run left unplaced",
    responses=problem_responses(NotFound, RuleViolated),
)
async def overflow_proposal(
    run_id: UUID, session: SessionDep, principal: Reader
) -> OverflowProposalRead:
    """Families are served in lottery order; each is offered the nearest (straight-line)
    school of its level with a seat left after the run, never beyond the seat plan (班额).

    路途时间 (`commute`, lottery/commute): each offer's travel time under the county's travel
    model in force on 1 September of the run's year, and under the commute limit in force
    (seed 000, Inner Mongolia: 路途时间一般不超过半小时 for primary grades 1–3) the flag
    `over_commute_limit` — a finding; the offers do not change."""
    return await commute.overflow_proposal(session, principal, run_id)


@router.post(
    "/v1/assignment-runs/{run_id}/admissions",
    status_code=201,
    summary="Confirm a run's admissions and the 统筹 offers (录取确认)",
    responses=problem_responses(NotFound, Conflict, RuleViolated),
)
async def confirm_admissions(
    run_id: UUID,
    body: AdmissionsConfirm,
    request: Request,
    session: SessionDep,
    principal: Writer,
) -> AdmissionsRead:
    """The bureau confirms once per run: the run's placements, the proposal's 统筹 offers and
    its own overrides; each admission keeps the child's 全国学籍号 from the application. Emits
    `enrollment.admission.confirmed` per child (pseudonymous keys: `student_key`, and
    `student_number_key` when the application has a 学籍号 — never the number itself)."""
    admissions, unplaced, dropped = await placement.confirm(
        session,
        principal,
        run_id,
        overrides=dict(body.overrides),
        secret=_secret(request.app.state),
    )
    return AdmissionsRead(
        run_id=str(run_id),
        admitted=len(admissions),
        by_route=dict(sorted(Counter(a.route for a in admissions).items())),
        by_school=dict(sorted(Counter(a.school_code for a in admissions).items())),
        still_unplaced=unplaced,
        not_admitted=dropped,
        admissions=[
            AdmissionRead(
                application_id=a.application_id,
                student_number=a.student_number,
                school_code=a.school_code,
                route=a.route,
                distance_km=a.distance_km,
            )
            for a in admissions
        ],
    )
