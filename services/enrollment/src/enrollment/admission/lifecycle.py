"""An application's life after review: admitted (录取, by a run or by 统筹), withdrawn by the
family, the family's own lottery explanation, and the lookup of a child's applications.

`admitted` is stored on the application in the very transaction that writes its `admission`
row (`mark_admitted`, called by admission/placement.py's confirmation): the two commit or roll
back together, so they cannot diverge, and the application's version moves — its ETag changes
the moment the admission stands, which is what a family polling with If-None-Match must see.
The admission row stays the one place that says where and how (school, run, route).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast
from uuid import UUID

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission.models import Admission, Application, ApplicationEvent
from enrollment.admission.read_schemas import (
    ApplicationAdmission,
    ExplanationReason,
    FamilyExplanation,
    RankedSchool,
)
from enrollment.admission.repository import AdmissionRepository, ApplicationRepository
from enrollment.lottery import explain_text, outcomes
from junheng_kit.auth import Principal
from junheng_kit.bulk_insert import insert_columns
from junheng_kit.i18n import t
from junheng_kit.problems import NotFound
from junheng_kit.timeutil import utcnow

APPLICATION_EVENT = cast(Table, ApplicationEvent.__table__)
# admission.route as stored → what families read (`via`)
VIA = {"assignment": "lottery", "overflow": "placement"}


async def mark_admitted(
    session: AsyncSession, principal: Principal, admissions: Sequence[Admission]
) -> None:
    """The applications of these just-written admissions become `admitted` (version + 1), each
    with its audit entry — set-based: one UPDATE, one column-wise INSERT."""
    if not admissions:
        return
    now = utcnow()
    ids = [a.application_id for a in admissions]
    await insert_columns(
        await session.connection(),
        APPLICATION_EVENT,
        {
            "application_id": ids,
            "at": [now] * len(ids),
            "actor": [principal.client_id] * len(ids),
            "action": ["admitted"] * len(ids),
            "from_status": ["verified"] * len(ids),
            "to_status": ["admitted"] * len(ids),
            "reason": [None] * len(ids),
            "detail": [
                {"school_code": a.school_code, "via": VIA[a.route], "run_id": str(a.run_id)}
                for a in admissions
            ],
        },
    )
    run_ids = {a.run_id for a in admissions}
    await session.execute(
        update(Application)
        .where(
            Application.id.in_(
                select(Admission.application_id).where(Admission.run_id.in_(run_ids))
            ),
            Application.status == "verified",
        )
        .values(status="admitted", version=Application.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def admission_read(admission: Admission, school_name: str) -> ApplicationAdmission:
    return ApplicationAdmission(
        school_code=admission.school_code,
        school_name=school_name,
        via=VIA[admission.route],
        run_id=admission.run_id,
        confirmed_at=admission.confirmed_at,
    )


async def admission_of(session: AsyncSession, application_id: UUID) -> ApplicationAdmission | None:
    found = await AdmissionRepository(session).of_application(application_id)
    return None if found is None else admission_read(*found)


async def applications_of_child(
    session: AsyncSession, principal: Principal, *, citizen_id: str
) -> list[Application]:
    """A child's applications in the caller's jurisdiction, by the blind index of the
    公民身份号码 (the ID itself is neither logged nor used in the query; stored IDs are
    encrypted)."""
    return await AdmissionRepository(session).applications_of_child(
        citizen_id, within=principal.jurisdiction
    )


async def explanation(
    session: AsyncSession, principal: Principal, application_id: UUID
) -> FamilyExplanation:
    """派位说明 of one family: its row of the run its admission came from (or of the newest run
    it was in), with each school ranked above in words; 404 when it was in no run."""
    application = await ApplicationRepository(session).get(
        application_id, within=principal.jurisdiction
    )
    admitted = await AdmissionRepository(session).of_application(application.id)
    found = await outcomes.latest_of(
        session, application.id, run_id=admitted[0].run_id if admitted else None
    )
    if found is None and admitted is not None:  # admitted by a run of another shape: newest
        found = await outcomes.latest_of(session, application.id, run_id=None)
    if found is None:
        raise NotFound(
            t(
                f"申请 {application_id} 未参加过派位",
                f"application {application_id} was in no assignment run",
            )
        )
    run, outcome = found
    ranked = []
    for entry in outcome.explanations:
        zh, en = explain_text.reason_text(entry)
        ranked.append(
            RankedSchool(
                school_code=entry["school_code"],
                tier=entry["tier"],
                lottery=entry["lottery"],
                cutoff_tier=entry["cutoff_tier"],
                cutoff_lottery=entry["cutoff_lottery"],
                reasons=[ExplanationReason(code=entry["reason"], zh=zh, en=en)],
            )
        )
    admission = admitted[0] if admitted else None
    summary_zh, summary_en = explain_text.summary_text(
        outcome.school_code,
        outcome.tier,
        admission.school_code if admission else None,
        VIA[admission.route] if admission else None,
    )
    return FamilyExplanation(
        application_id=application.id,
        run_id=run.id,
        seed=run.seed,
        mechanism=run.mechanism,
        tie_breaking=run.tie_breaking,
        choices=list(application.choices),
        school_code=outcome.school_code,
        tier=outcome.tier,
        lottery=outcome.lottery,
        ranked_above=ranked,
        summary_zh=summary_zh,
        summary_en=summary_en,
    )
