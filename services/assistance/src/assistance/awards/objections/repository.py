"""Every query of 公示 objections."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.awards.repository import chunks
from assistance.awards.objections.models import Objection
from assistance.awards.objections.rules import ObjectionStatus
from assistance.awards.publicity.models import PublicityBatch
from junheng_kit.auth import Jurisdiction
from junheng_kit.i18n import t
from junheng_kit.problems import NotFound


async def open_objections(session: AsyncSession, award_ids: Sequence[UUID]) -> set[UUID]:
    found: set[UUID] = set()
    for chunk in chunks(sorted(set(award_ids))):
        rows = await session.scalars(
            select(Objection.award_id).where(
                Objection.award_id.in_(chunk), Objection.status == ObjectionStatus.OPEN.value
            )
        )
        found.update(rows)
    return found


async def objections_of(session: AsyncSession, batch_id: UUID) -> Sequence[Objection]:
    query = select(Objection).where(Objection.batch_id == batch_id).order_by(Objection.created_at)
    return (await session.scalars(query)).all()


async def objection(
    session: AsyncSession, objection_id: UUID, *, within: Jurisdiction
) -> Objection:
    row = await session.scalar(
        select(Objection)
        .join(PublicityBatch, PublicityBatch.id == Objection.batch_id)
        .where(Objection.id == objection_id, within.covers(PublicityBatch.county_code))
    )
    if row is None:
        raise NotFound(t(f"异议 {objection_id} 不存在", f"objection {objection_id} not found"))
    return row
