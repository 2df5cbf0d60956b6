"""Every query of status notices."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.awards.repository import chunks
from assistance.awards.notices.models import StatusNotice
from assistance.awards.notices.rules import PENDING
from junheng_kit.auth import Jurisdiction
from junheng_kit.i18n import t
from junheng_kit.problems import NotFound


async def pending_notice_keys(
    session: AsyncSession, student_ids: Iterable[UUID]
) -> set[tuple[UUID, UUID | None, str, str]]:
    """(student, award, category, change) of notices still open or under appeal."""
    wanted = sorted(set(student_ids))
    found: set[tuple[UUID, UUID | None, str, str]] = set()
    for chunk in chunks(wanted):
        rows = await session.execute(
            select(
                StatusNotice.student_id,
                StatusNotice.award_id,
                StatusNotice.category,
                StatusNotice.change,
            ).where(
                StatusNotice.student_id.in_(chunk),
                StatusNotice.status.in_([s.value for s in PENDING]),
            )
        )
        found.update((r[0], r[1], r[2], r[3]) for r in rows)
    return found


async def insert_notices(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    for chunk in chunks(rows):
        await session.execute(insert(StatusNotice), chunk)


async def notices_of_awards(
    session: AsyncSession, award_ids: Sequence[UUID]
) -> dict[UUID, list[StatusNotice]]:
    found: dict[UUID, list[StatusNotice]] = {}
    for chunk in chunks(sorted(set(award_ids))):
        rows = await session.scalars(select(StatusNotice).where(StatusNotice.award_id.in_(chunk)))
        for notice in rows:
            assert notice.award_id is not None
            found.setdefault(notice.award_id, []).append(notice)
    return found


async def notices(
    session: AsyncSession, *, within: Jurisdiction, filters: dict[str, Any]
) -> Sequence[StatusNotice]:
    query = (
        select(StatusNotice)
        .where(within.covers(StatusNotice.county_code))
        .order_by(StatusNotice.created_at)
        .limit(1000)
    )
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(StatusNotice, name) == value)
    return (await session.scalars(query)).all()


async def notice(session: AsyncSession, notice_id: UUID, *, within: Jurisdiction) -> StatusNotice:
    row = await session.scalar(
        select(StatusNotice).where(
            StatusNotice.id == notice_id, within.covers(StatusNotice.county_code)
        )
    )
    if row is None:
        raise NotFound(t(f"通知 {notice_id} 不存在", f"notice {notice_id} not found"))
    return row
