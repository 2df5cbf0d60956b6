"""The verdict's reactions to evaluation's domain events (registered when imported: app.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.events import VerdictInputChanged
from evaluation.verdict.service import announce_if_changed
from junheng_kit.reactions import reacts_to


@reacts_to(VerdictInputChanged)
async def announce_verdict(session: AsyncSession, event: VerdictInputChanged) -> None:
    await announce_if_changed(
        session, county_code=event.county_code, year=event.year, assessment=event.assessment
    )
