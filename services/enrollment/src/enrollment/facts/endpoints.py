"""HTTP of the enrollment facts: an application's checked facts and access log (family-
visible), an on-demand check, a county's re-check job, the ledger's chain."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission import policies
from enrollment.admission.audit import Read, Updated, touched
from enrollment.admission.models import Application
from enrollment.admission.repository import ApplicationRepository
from enrollment.facts import rules, service
from enrollment.facts.asking import Basis
from enrollment.facts.connector import STATE_NAME
from enrollment.facts.models import LEDGER
from enrollment.facts.repository import FactRepository
from enrollment.facts.schemas import (
    AccessLogEntry,
    ApplicationFactsRead,
    CheckedFact,
    FactCheckCreate,
    RecheckJobRead,
)
from junheng_kit.agency.facts import AGENCY_NAMES
from junheng_kit.agency.ledger import ChainBroken
from junheng_kit.agency.protocol import require_lawful_basis
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.i18n import t
from junheng_kit.identifiers import CountyCode
from junheng_kit.problems import NotFound, RuleViolated, problem_responses
from junheng_kit.timeutil import china_today

router = APIRouter(tags=["admission"])
Reader = Annotated[Principal, Depends(require_scopes("enrollment:read"))]
Writer = Annotated[Principal, Depends(require_scopes("enrollment:write"))]


async def checked_facts(session: AsyncSession, application_id: UUID) -> list[CheckedFact]:
    """The application's checked facts, as its answer lists them."""
    return [
        CheckedFact.model_validate(
            {
                **{k: getattr(f, k) for k in CheckedFact.model_fields if k != "agency_name"},
                "agency_name": AGENCY_NAMES.get(f.agency, f.agency),
            }
        )
        for f in await FactRepository(session).facts_of(application_id)
    ]


async def _facts_read(
    session: AsyncSession, principal: Principal, application: Application
) -> ApplicationFactsRead:
    repository = FactRepository(session)
    check = await repository.check_of(application.id)
    log = await repository.access_log(application.child_key, within=principal.jurisdiction)
    return ApplicationFactsRead(
        application_id=application.id,
        status=application.status,
        checked_at=check.checked_at if check else None,
        outcome=check.outcome if check else None,
        reason=check.reason if check else None,
        facts=await checked_facts(session, application.id),
        access_log=[AccessLogEntry.model_validate(e) for e in log],
    )


@router.get(
    "/v1/applications/{application_id}/facts",
    summary="Facts checked through data sharing, and every lookup made (查询记录)",
    responses=problem_responses(NotFound),
)
async def get_facts(
    audit: Read, application_id: UUID, session: SessionDep, principal: Reader
) -> ApplicationFactsRead:
    """Each fact of the application's tier: the agency that proved it, when, what it proved
    (中文 / English) — and the family's access log: every lookup about the child (purpose, legal
    basis, who asked, outcome), from enrollment's hash-chained ledger."""
    application = await ApplicationRepository(session).get(
        application_id, within=principal.jurisdiction
    )
    touched(audit, application, principal)
    return await _facts_read(session, principal, application)


@router.post(
    "/v1/applications/{application_id}/facts/check",
    summary="Check an application's facts with the agencies now",
    responses=problem_responses(NotFound, RuleViolated),
)
async def check_facts(
    audit: Updated,
    application_id: UUID,
    body: FactCheckCreate,
    request: Request,
    session: SessionDep,
    principal: Writer,
) -> ApplicationFactsRead:
    """Asks each agency, one request per fact, the conditions of the tier the application
    holds; an application whose facts are all verified becomes `verified`, a contradiction
    sends it to `needs_documents`, an agency unavailable leaves it `verifying` for manual
    evidence. Purpose and legal basis: the body's, else the policy's `data_sharing` (422
    naming them when neither states them); `facts`: only these (422 naming a fact the county's
    policy does not define)."""
    repository = ApplicationRepository(session)
    application = await repository.get(application_id, within=principal.jurisdiction)
    touched(audit, application, principal)
    policy = await policies.policy_in_force(
        session, application.county_code, application.year, application.level, china_today()
    )
    basis = None
    if body.purpose or body.legal_basis or body.consent_ref or policy is None:
        require_lawful_basis(body.purpose, body.legal_basis, body.consent_ref)
        basis = Basis(str(body.purpose), body.legal_basis, body.consent_ref)
    elif not policy.document.get("data_sharing"):
        require_lawful_basis(None, None, None)
    if body.facts is not None:
        tiers = policies.tiers_of(policy) if policy else []
        errors = rules.undefined_facts(body.facts, tiers)
        if errors:
            raise RuleViolated(
                t(
                    "本县招生政策未规定的条件无法核验",
                    "the county's policy does not define these facts",
                ),
                *errors,
            )
    await service.check(
        session,
        getattr(request.app.state, STATE_NAME),
        [application.id],
        actor=principal.client_id,
        today=china_today(),
        mode="one_by_one",
        basis=basis,
        only=body.facts,
    )
    await session.refresh(application)
    return await _facts_read(session, principal, application)


@router.post(
    "/v1/facts/recheck",
    status_code=202,
    summary="Re-check every open application of a county (复核任务)",
    responses=problem_responses(),
)
async def start_recheck(
    county: Annotated[CountyCode, Query(description="the county whose applications to re-check")],
    request: Request,
    session: SessionDep,
    principal: Writer,
    response: Response,
    background: BackgroundTasks,
) -> RecheckJobRead:
    """Every submitted, verifying, needs-documents or verified application of the county, asked
    again in signed batches per agency; poll the Location for progress (`done` of `total`)."""
    principal.require_jurisdiction(county, field="county")
    job = request.app.state.fact_jobs.new_job(county, principal.client_id)
    session.add(job)
    await session.flush()
    background.add_task(request.app.state.fact_jobs.start, job.id)  # after the commit
    response.headers["Location"] = f"/v1/facts/recheck/{job.id}"
    return RecheckJobRead.model_validate(job)


@router.get(
    "/v1/facts/recheck/{job_id}",
    summary="A re-check job's progress and counts",
    responses=problem_responses(NotFound),
)
async def get_recheck(job_id: UUID, session: SessionDep, principal: Reader) -> RecheckJobRead:
    job = await FactRepository(session).job(job_id, within=principal.jurisdiction)
    return RecheckJobRead.model_validate(job)


@router.get(
    "/v1/facts/ledger/verify",
    summary="Recompute the facts ledger's hash chain",
    responses=problem_responses(ChainBroken),
)
async def verify_ledger(session: SessionDep, _: Reader) -> dict[str, object]:
    """409 naming `entries[<seq>].entry_hash` (rule hash_chain) at the first broken link."""
    status = await LEDGER.verify(session)
    return {
        "intact": True,
        "entries": status.entries,
        "head_hash": status.head_hash,
        "algorithm": status.algorithm,  # the head entry's hash: sha256, or sm3 under 国密
    }
