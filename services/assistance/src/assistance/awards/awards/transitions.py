"""The one way an award changes: each change appends a history row and bumps the version."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.awards.models import Award, AwardHistory
from assistance.awards.awards.rules import AwardStatus


def transition(
    session: AsyncSession, award: Award, to: AwardStatus | str, *, actor: str, reason: str
) -> None:
    """Every change of an award appends one history row and bumps its version (the ETag)."""
    session.add(
        AwardHistory(
            award_id=award.id,
            from_status=award.status,
            to_status=str(to),
            actor=actor,
            reason=reason[:500],
        )
    )
    award.status = str(to)
    award.version += 1
