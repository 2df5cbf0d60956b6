"""County approval use-cases (县级审批): one award or a whole 公示 list, all or none; emits
`assistance.award.approved`. Services never commit."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.approval import rules
from assistance.awards.approval.schemas import AwardApproval
from assistance.awards.awards import repository as awards_repository
from assistance.awards.awards.models import Award
from assistance.awards.awards.rules import AwardSource, AwardStatus, WorkflowConflict
from assistance.awards.awards.transitions import transition
from assistance.awards.objections import repository as objections_repository
from assistance.awards.publicity import repository as publicity_repository
from assistance.students.models import Student
from junheng_contracts.assistance import AwardApproved, AwardApprovedData
from junheng_kit.auth import Principal
from junheng_kit.etags import require_version
from junheng_kit.i18n import t
from junheng_kit.messaging.outbox import add_event
from junheng_kit.problems import Conflict, FieldError
from junheng_kit.timeutil import china_today


async def approve_awards(
    session: AsyncSession,
    principal: Principal,
    *,
    pairs: list[tuple[Award, Student]],
    request: AwardApproval,
    fields: list[str],
) -> None:
    """县级审批: all or none. Each award must have passed review and a 公示 that has ended,
    with no objection open; emits `assistance.award.approved` per award."""
    on = request.approved_on or china_today()
    batches = await publicity_repository.batches_of(
        session, {a.publicity_batch_id for a, _ in pairs if a.publicity_batch_id}
    )
    open_ids = await objections_repository.open_objections(session, [a.id for a, _ in pairs])

    def publicity_ends_on(award: Award) -> date | None:
        batch = batches.get(award.publicity_batch_id) if award.publicity_batch_id else None
        return batch.ends_on if batch is not None else None

    errors = [
        e
        for (award, _), field in zip(pairs, fields, strict=True)
        for e in rules.approval_blockers(
            award.status,
            publicity_ends_on(award),
            on,
            objection_open=award.id in open_ids,
            field=field,
        )
    ]
    if errors:
        raise WorkflowConflict(t("不满足审批条件", "the approval conditions are not met"), *errors)
    for award, student in pairs:
        principal.require_jurisdiction(award.county_code, field="award_id")
        award.approved_on = on
        award.approved_by = principal.client_id
        transition(
            session,
            award,
            AwardStatus.APPROVED,
            actor=principal.client_id,
            reason=request.note or "县级审批通过",
        )
        add_event(
            session,
            AwardApproved.of(
                subject=str(award.id),
                jurisdiction=award.county_code,
                data=AwardApprovedData(
                    award_id=str(award.id),
                    student_key=student.student_key,
                    county_code=award.county_code,
                    school_code=award.school_code,
                    programme_code=award.programme_code,
                    school_year=award.school_year,
                    tier=award.tier,
                    amount_yuan=award.amount_yuan,
                    standard_id=str(award.standard_id),
                    source="auto" if award.source == AwardSource.AUTO else "school",
                    approved_on=on,
                    version=award.version,
                ),
            ),
        )
    await session.flush()


async def approve_award(
    session: AsyncSession,
    principal: Principal,
    *,
    award_id: UUID,
    request: AwardApproval,
    if_match: int | None,
) -> tuple[Award, Student]:
    award, student = await awards_repository.award_with_student(
        session, award_id, within=principal.jurisdiction, for_update=True
    )
    require_version(t("资助", "award"), award.version, if_match)
    await approve_awards(
        session, principal, pairs=[(award, student)], request=request, fields=["status"]
    )
    return award, student


async def approve_batch(
    session: AsyncSession, principal: Principal, *, batch_id: UUID, request: AwardApproval
) -> int:
    """Approve every award still on a 公示 list (rejected ones stay off), all or none."""
    batch = await publicity_repository.batch(session, batch_id, within=principal.jurisdiction)
    principal.require_jurisdiction(batch.county_code, field="batch_id")
    pairs = [
        (a, s)
        for a, s in await publicity_repository.batch_awards(session, batch_id)
        if a.status == AwardStatus.IN_PUBLICITY
    ]
    if not pairs:
        raise Conflict(
            t("名单上没有待审批的资助", "no award on the list awaits approval"),
            FieldError("batch_id", "awards_pending_approval"),
        )
    await approve_awards(
        session,
        principal,
        pairs=pairs,
        request=request,
        fields=[f"awards[{a.id}]" for a, _ in pairs],
    )
    return len(pairs)
