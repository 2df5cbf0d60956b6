"""Disbursement use-cases (资金发放): a payment batch, every line or none; emits
`assistance.disbursement.recorded` per line. Services never commit."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.awards import repository as awards_repository
from assistance.awards.awards.models import Award
from assistance.awards.awards.transitions import transition
from assistance.awards.disbursement import repository, rules
from assistance.awards.disbursement.models import Disbursement, DisbursementItem
from assistance.awards.disbursement.schemas import (
    DisbursementCreate,
    DisbursementItemRead,
    DisbursementRead,
)
from assistance.awards.notices import repository as notices_repository
from assistance.awards.notices.rules import NoticeState
from junheng_contracts.assistance import DisbursementRecorded, DisbursementRecordedData
from junheng_kit.auth import Principal
from junheng_kit.ids import uuid7
from junheng_kit.messaging.outbox import add_event


async def record_disbursement(
    session: AsyncSession, principal: Principal, *, request: DisbursementCreate
) -> tuple[Disbursement, list[DisbursementItem]]:
    """资金发放: every line or none. An award must be approved, in the batch's county, paid at
    most what it has left, and not past the grace period of a `lost` status notice."""
    principal.require_jurisdiction(request.county_code, field="county_code")
    ids = [line.award_id for line in request.items]
    pairs = {
        a.id: (a, s)
        for a, s in await awards_repository.awards_by_ids(
            session, ids, within=principal.jurisdiction
        )
    }
    notices = await notices_repository.notices_of_awards(session, ids)

    def payable(award: Award) -> rules.Payable:
        return rules.Payable(
            county_code=award.county_code,
            status=award.status,
            amount_yuan=award.amount_yuan,
            paid_yuan=award.paid_yuan,
            notices=tuple(
                NoticeState(n.change, n.status, n.outcome, n.grace_until)
                for n in notices.get(award.id, [])
            ),
        )

    rules.check_lines(
        [
            (payable(pairs[line.award_id][0]) if line.award_id in pairs else None, line.amount_yuan)
            for line in request.items
        ],
        county_code=request.county_code,
        paid_on=request.paid_on,
    )
    batch = Disbursement(
        id=uuid7(),
        county_code=request.county_code,
        paid_on=request.paid_on,
        channel=request.channel,
        reference=request.reference,
        total_yuan=sum((line.amount_yuan for line in request.items), Decimal("0.00")),
        recorded_by=principal.client_id,
    )
    session.add(batch)
    await session.flush()
    items = []
    for line in request.items:
        award, student = pairs[line.award_id]
        award.paid_yuan = award.paid_yuan + line.amount_yuan
        to = rules.status_after_payment(award.paid_yuan, award.amount_yuan)
        transition(
            session,
            award,
            to,
            actor=principal.client_id,
            reason=f"发放 {line.amount_yuan} 元 ({request.channel}, {request.paid_on}, {batch.id})",
        )
        item = DisbursementItem(
            disbursement_id=batch.id, award_id=award.id, amount_yuan=line.amount_yuan
        )
        session.add(item)
        items.append(item)
        add_event(
            session,
            DisbursementRecorded.of(
                subject=str(award.id),
                jurisdiction=award.county_code,
                data=DisbursementRecordedData(
                    disbursement_id=str(batch.id),
                    award_id=str(award.id),
                    student_key=student.student_key,
                    county_code=award.county_code,
                    school_code=award.school_code,
                    programme_code=award.programme_code,
                    school_year=award.school_year,
                    amount_yuan=line.amount_yuan,
                    paid_total_yuan=award.paid_yuan,
                    award_amount_yuan=award.amount_yuan,
                    paid_on=request.paid_on,
                    channel=request.channel,
                    version=award.version,
                ),
            ),
        )
    await session.flush()
    return batch, items


async def get_disbursement(
    session: AsyncSession, principal: Principal, *, disbursement_id: UUID
) -> DisbursementRead:
    batch, items = await repository.disbursement(
        session, disbursement_id, within=principal.jurisdiction
    )
    return disbursement_read(batch, items)


def disbursement_read(batch: Disbursement, items: Sequence[DisbursementItem]) -> DisbursementRead:
    return DisbursementRead(
        id=batch.id,
        county_code=batch.county_code,
        paid_on=batch.paid_on,
        channel=batch.channel,
        reference=batch.reference,
        total_yuan=batch.total_yuan,
        recorded_by=batch.recorded_by,
        created_at=batch.created_at,
        items=[DisbursementItemRead.model_validate(i) for i in items],
    )
