"""Every query of the programme catalogue."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.programmes.models import Programme, ProgrammeStandard


async def all_versions(session: AsyncSession, code: str | None = None) -> Sequence[Programme]:
    """Every version of every programme (or of one), oldest first; the catalogue is small."""
    query = select(Programme).order_by(Programme.code, Programme.version)
    if code is not None:
        query = query.where(Programme.code == code)
    return (await session.scalars(query)).all()


async def standards_of(session: AsyncSession, codes: Iterable[str]) -> Sequence[ProgrammeStandard]:
    query = (
        select(ProgrammeStandard)
        .where(ProgrammeStandard.programme_code.in_(sorted(set(codes))))
        .order_by(ProgrammeStandard.effective_from, ProgrammeStandard.created_at)
    )
    return (await session.scalars(query)).all()


def add(session: AsyncSession, row: Programme | ProgrammeStandard) -> None:
    session.add(row)
