"""个人信息查阅、复制 (《个人信息保护法》第四十五条; issue 20 item 4): everything enrollment holds
about one child — applications with their history, document checks, checked facts and fact checks,
admissions, the lottery outcomes (派位说明), the lookups made about the child (查询台账, the access
log) and the legal holds — as one JSON document, for a caller holding `enrollment:pii`, within
its jurisdiction."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import or_, select

from enrollment.admission.models import (
    Admission,
    ApplicationEvent,
    ApplicationVerification,
)
from enrollment.admission.repository import AdmissionRepository
from enrollment.facts.models import ApplicationFact, ApplicationFactCheck, FactLedgerEntry
from enrollment.lottery.models import AssignmentOutcome
from enrollment.retention import LegalHold
from junheng_kit.audit import AuditTrail, audit_of
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import student_key
from junheng_kit.problems import Forbidden, problem_responses
from junheng_kit.retention.export import ChildExport, ChildExportAsk, child_export
from junheng_kit.timeutil import utcnow

router = APIRouter(tags=["retention"])
PiiReader = Annotated[Principal, Depends(require_scopes("enrollment:read", "enrollment:pii"))]
Exported = Annotated[AuditTrail, Depends(audit_of("child", "export"))]


@router.post(
    "/v1/children/export",
    summary="Everything enrollment holds about a child (access request)",
    responses=problem_responses(Forbidden),
)
async def export_child(
    audit: Exported,
    body: ChildExportAsk,
    request: Request,
    session: SessionDep,
    principal: PiiReader,
) -> ChildExport:
    """个人信息查阅 (《个人信息保护法》第四十五条): the child's rows of every enrollment table
    within the caller's jurisdiction, every stored column unmasked; sections are empty when the
    service holds nothing. 403 `scope_required` without `enrollment:pii`."""
    secret = request.app.state.settings.pseudonym_key.get_secret_value().encode()
    key = student_key(secret, body.citizen_id)
    applications = await AdmissionRepository(session).applications_of_child(
        body.citizen_id, within=principal.jurisdiction
    )
    ids = [a.id for a in applications]
    texts = [str(i) for i in ids]

    async def rows(query: Any) -> list[Any]:
        return list((await session.scalars(query)).all()) if ids else []

    sections = {
        "applications": applications,
        "application_events": await rows(
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id.in_(ids))
            .order_by(ApplicationEvent.id)
        ),
        "application_verifications": await rows(
            select(ApplicationVerification).where(ApplicationVerification.application_id.in_(ids))
        ),
        "application_facts": await rows(
            select(ApplicationFact).where(ApplicationFact.application_id.in_(ids))
        ),
        "application_fact_checks": await rows(
            select(ApplicationFactCheck).where(ApplicationFactCheck.application_id.in_(ids))
        ),
        "admissions": await rows(select(Admission).where(Admission.application_id.in_(ids))),
        "assignment_outcomes": await rows(
            select(AssignmentOutcome).where(AssignmentOutcome.application_id.in_(texts))
        ),
        "fact_lookups": list(
            (
                await session.scalars(
                    select(FactLedgerEntry)
                    .where(
                        FactLedgerEntry.student_key == key,
                        principal.jurisdiction.covers(FactLedgerEntry.county_code),
                    )
                    .order_by(FactLedgerEntry.seq)
                )
            ).all()
        ),
        "legal_holds": list(
            (
                await session.scalars(
                    select(LegalHold).where(
                        or_(LegalHold.student_key == key, LegalHold.record_id.in_(texts)),
                        principal.jurisdiction.covers(LegalHold.county_code),
                    )
                )
            ).all()
        ),
    }
    audit.touched(
        ids=ids,
        student_keys=[key],
        classes=["personal", "sensitive"],
        county_code=applications[0].county_code if applications else None,
        count=sum(len(rows) for rows in sections.values()),
    )
    return child_export("enrollment", key, by=principal.client_id, at=utcnow(), sections=sections)
