"""Every query of disbursements."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.disbursement.models import Disbursement, DisbursementItem
from junheng_kit.auth import Jurisdiction
from junheng_kit.i18n import t
from junheng_kit.problems import NotFound


async def disbursement(
    session: AsyncSession, disbursement_id: UUID, *, within: Jurisdiction
) -> tuple[Disbursement, Sequence[DisbursementItem]]:
    row = await session.scalar(
        select(Disbursement).where(
            Disbursement.id == disbursement_id, within.covers(Disbursement.county_code)
        )
    )
    if row is None:
        raise NotFound(
            t(f"发放记录 {disbursement_id} 不存在", f"disbursement {disbursement_id} not found")
        )
    items = await session.scalars(
        select(DisbursementItem)
        .where(DisbursementItem.disbursement_id == row.id)
        .order_by(DisbursementItem.id)
    )
    return row, items.all()
