"""HTTP of the agency exchange: lookups, manual evidence, category lists, connector health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from assistance.agencies import lists, service
from assistance.agencies.connector import AgencyConnector
from assistance.agencies.repository import AgencyRepository
from assistance.agencies.schemas import (
    PII,
    AgencyHealthRead,
    AgencyRead,
    AgencyResultRead,
    AssertionRead,
    CategoryListRead,
    CategoryListRefresh,
    CategoryListSummaryRead,
    LookupCreate,
    LookupRead,
    ManualEvidenceCreate,
)
from assistance.agencies.service import MANUAL_EVIDENCE_PATH, AgencyAnswerRefused
from assistance.students.audit import LookupMade
from junheng_kit.audit import classes_shown
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.classification import masked
from junheng_kit.db import SessionDep
from junheng_kit.i18n import t
from junheng_kit.identifiers import student_key
from junheng_kit.problems import (
    FieldError,
    NotFound,
    RuleViolated,
    problem_response,
    problem_responses,
)

router = APIRouter(tags=["agencies"])
Reader = Annotated[Principal, Depends(require_scopes("assistance:read"))]
Writer = Annotated[Principal, Depends(require_scopes("assistance:write"))]


def connector_of(request: Request) -> AgencyConnector:
    connector: AgencyConnector = request.app.state.agency_connector
    return connector


Connector = Annotated[AgencyConnector, Depends(connector_of)]


def _pseudonym_key(request: Request) -> bytes:
    return bytes(request.app.state.settings.pseudonym_key.get_secret_value().encode())


@router.post(
    "/v1/lookups",
    responses=problem_responses(NotFound, RuleViolated, AgencyAnswerRefused),
    response_model=LookupRead,
)
async def create_lookup(
    audit: LookupMade,
    body: LookupCreate,
    request: Request,
    session: SessionDep,
    principal: Writer,
    connector: Connector,
) -> LookupRead | JSONResponse:
    """核查: ask the partner agencies about one person (purpose and basis required).

    Every call is ledgered. An agency that cannot be reached answers `unavailable` with the
    manual-evidence path; an answer with a bad signature makes the whole lookup a 502 naming
    `agencies.<code>.signature` (the ledger keeps the refusal, nothing else of it is stored)."""
    outcome = await service.lookup(
        session,
        principal,
        connector=connector,
        pseudonym_key=_pseudonym_key(request),
        purpose=body.purpose,
        legal_basis=body.legal_basis,
        consent_ref=body.consent_ref,
        agencies=body.agencies,
        student_id=body.student_id,
        citizen_id=body.citizen_id,
        name=body.name,
        county_code=body.county_code,
    )
    subject = outcome.subject
    audit.touched(
        ids=[subject.student.id] if subject.student else [],
        student_keys=[student_key(_pseudonym_key(request), subject.citizen_id)],
        classes=classes_shown(PII in principal.scopes),
        county_code=subject.county_code,
    )
    refusal = outcome.refusal()
    if refusal is not None:
        return problem_response(refusal)  # returned, not raised: the ledger entries commit
    read = LookupRead(
        student_id=subject.student.id if subject.student else None,
        citizen_id=subject.citizen_id,
        name=subject.name,
        county_code=subject.county_code,
        purpose=outcome.purpose,
        results=[
            AgencyResultRead(
                agency=r.agency,
                status=r.status,
                ledger_seq=r.ledger_seq,
                assertion=AssertionRead.of(r.assertion, principal.scopes) if r.assertion else None,
                detail=r.detail,
                manual_evidence=MANUAL_EVIDENCE_PATH if r.status == "unavailable" else None,
            )
            for r in outcome.results
        ],
    )
    return read if PII in principal.scopes else masked(read)


@router.post(
    MANUAL_EVIDENCE_PATH,
    status_code=201,
    responses=problem_responses(NotFound, RuleViolated),
)
async def create_manual_evidence(
    body: ManualEvidenceCreate,
    request: Request,
    session: SessionDep,
    principal: Writer,
    connector: Connector,
    response: Response,
) -> AssertionRead:
    """人工核验: record the agency document a reviewer saw while the agency was down."""
    assertion = await service.record_manual_evidence(
        session,
        principal,
        connector=connector,
        pseudonym_key=_pseudonym_key(request),
        **body.model_dump(),
    )
    response.headers["Location"] = f"/v1/assertions/{assertion.id}"
    return AssertionRead.of(assertion, principal.scopes)


@router.post(
    "/v1/category-lists/refresh",
    responses=problem_responses(RuleViolated),
)
async def refresh_category_lists(
    body: CategoryListRefresh, session: SessionDep, principal: Writer, connector: Connector
) -> list[CategoryListSummaryRead]:
    """名单比对: fetch every configured agency's signed category list for a county."""
    principal.require_jurisdiction(body.region_code, field="region_code")
    summaries = await lists.refresh_category_lists(
        session,
        region_code=body.region_code,
        purpose=body.purpose or "",
        legal_basis=body.legal_basis or "",
        actor=principal.client_id,
        connector=connector,
    )
    return [CategoryListSummaryRead.model_validate(s, from_attributes=True) for s in summaries]


@router.get("/v1/category-lists")
async def list_category_lists(session: SessionDep, principal: Reader) -> list[CategoryListRead]:
    """The current list per agency and county in the caller's jurisdiction (no entries)."""
    rows = await AgencyRepository(session).current_lists(within=principal.jurisdiction)
    return [CategoryListRead.of(row) for row in rows]


def _agency_read(connector: AgencyConnector, code: str) -> AgencyRead:
    config = connector.agencies[code]
    return AgencyRead(
        code=code,
        name=config.name,
        base_url=config.base_url,
        categories=config.categories,
        key_id=config.key_id,
        timeout_seconds=config.timeout_seconds,
        health=AgencyHealthRead.model_validate(connector.health_of(code)),
    )


@router.get("/v1/agencies")
async def list_agencies(_: Reader, connector: Connector) -> list[AgencyRead]:
    """Configured agencies with this process's connector health (breakers are per process)."""
    return [_agency_read(connector, code) for code in connector.agencies]


@router.get("/v1/agencies/{code}/health", responses=problem_responses(NotFound))
async def agency_health(code: str, _: Reader, connector: Connector) -> AgencyHealthRead:
    """Uptime, calls, failures, latency p50/p95, match rate and breaker state of one agency."""
    if connector.configured(code) is None:
        raise NotFound(
            t(f"未配置部门 {code}", f"agency {code} is not configured"),
            FieldError("code", "agency_configured", ", ".join(connector.agencies)),
        )
    return AgencyHealthRead.model_validate(connector.health_of(code))
