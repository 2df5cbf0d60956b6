"""公示 objection use-cases: recording an objection during 公示 and resolving it (upheld: the
award is rejected). Services never commit."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.awards import repository as awards_repository
from assistance.awards.awards.rules import AwardStatus
from assistance.awards.awards.transitions import transition
from assistance.awards.objections import repository, rules
from assistance.awards.objections.models import Objection
from assistance.awards.objections.rules import ObjectionStatus
from assistance.awards.objections.schemas import ObjectionCreate, ObjectionResolve
from assistance.awards.publicity import repository as publicity_repository
from junheng_kit.auth import Principal
from junheng_kit.ids import uuid7


async def record_objection(
    session: AsyncSession, principal: Principal, *, batch_id: UUID, request: ObjectionCreate
) -> Objection:
    batch = await publicity_repository.batch(session, batch_id, within=principal.jurisdiction)
    principal.require_jurisdiction(batch.county_code, field="batch_id")
    award, _ = await awards_repository.award_with_student(
        session, request.award_id, within=principal.jurisdiction
    )
    rules.check_objection(
        on_list=award.publicity_batch_id == batch.id,
        received_on=request.received_on,
        starts_on=batch.starts_on,
        ends_on=batch.ends_on,
    )
    objection = Objection(
        id=uuid7(),
        batch_id=batch.id,
        award_id=award.id,
        received_on=request.received_on,
        summary=request.summary,
        status=ObjectionStatus.OPEN.value,
        recorded_by=principal.client_id,
    )
    session.add(objection)
    transition(
        session,
        award,
        AwardStatus(award.status),  # on the list it stays: the history notes the objection
        actor=principal.client_id,
        reason=f"异议 {objection.id}: {request.summary}",
    )
    await session.flush()
    return objection


async def list_objections(
    session: AsyncSession, principal: Principal, *, batch_id: UUID
) -> list[Objection]:
    await publicity_repository.batch(session, batch_id, within=principal.jurisdiction)
    return list(await repository.objections_of(session, batch_id))


async def resolve_objection(
    session: AsyncSession, principal: Principal, *, objection_id: UUID, request: ObjectionResolve
) -> Objection:
    """Upheld: the award is rejected (off the list); dismissed: approval may go ahead."""
    objection = await repository.objection(session, objection_id, within=principal.jurisdiction)
    rules.require_open(objection.status)
    award, _ = await awards_repository.award_with_student(
        session, objection.award_id, within=principal.jurisdiction, for_update=True
    )
    outcome = ObjectionStatus(request.outcome)
    objection.status = outcome.value
    objection.resolution = request.resolution
    objection.resolved_by = principal.client_id
    upheld = outcome == ObjectionStatus.UPHELD
    transition(
        session,
        award,
        AwardStatus.REJECTED if upheld else AwardStatus(award.status),
        actor=principal.client_id,
        reason=f"{'异议成立' if upheld else '异议不成立'}: {request.resolution}",
    )
    await session.flush()
    return objection
