"""Every query of student transfers."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.transfers.models import StudentTransfer


async def transfers_of(session: AsyncSession, student_id: UUID) -> Sequence[StudentTransfer]:
    query = (
        select(StudentTransfer)
        .where(StudentTransfer.student_id == student_id)
        .order_by(StudentTransfer.created_at)
    )
    return (await session.scalars(query)).all()
