"""Every query of 公示: batches and the awards on them."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.awards.models import Award
from assistance.awards.awards.rules import AwardStatus
from assistance.awards.publicity.models import PublicityBatch
from assistance.students.models import Student
from junheng_kit.auth import Jurisdiction
from junheng_kit.i18n import t
from junheng_kit.problems import NotFound


async def reviewed_awards(
    session: AsyncSession, county_code: str, school_code: str | None
) -> list[tuple[Award, Student]]:
    query = (
        select(Award, Student)
        .join(Student, Student.id == Award.student_id)
        .where(
            Award.county_code == county_code,
            Award.status == AwardStatus.REVIEWED.value,
            Award.publicity_batch_id.is_(None),
        )
        .order_by(Award.school_code, Award.id)
    )
    if school_code is not None:
        query = query.where(Award.school_code == school_code)
    return [(a, s) for a, s in (await session.execute(query))]


async def batch_awards(session: AsyncSession, batch_id: UUID) -> list[tuple[Award, Student]]:
    rows = await session.execute(
        select(Award, Student)
        .join(Student, Student.id == Award.student_id)
        .where(Award.publicity_batch_id == batch_id)
        .order_by(Award.school_code, Award.id)
    )
    return [(a, s) for a, s in rows]


async def batch(session: AsyncSession, batch_id: UUID, *, within: Jurisdiction) -> PublicityBatch:
    row = await session.scalar(
        select(PublicityBatch).where(
            PublicityBatch.id == batch_id, within.covers(PublicityBatch.county_code)
        )
    )
    if row is None:
        raise NotFound(t(f"公示批次 {batch_id} 不存在", f"publicity batch {batch_id} not found"))
    return row


async def batches_of(session: AsyncSession, ids: set[UUID]) -> dict[UUID, PublicityBatch]:
    rows = await session.scalars(select(PublicityBatch).where(PublicityBatch.id.in_(ids)))
    return {b.id: b for b in rows}
