"""The one way an award's status changes: `transition` writes the history row (who, when,
from → to, why) and bumps the version (the ETag) with every change — a new award's first status,
a step of the workflow, or an event that leaves the status as it is (an objection recorded or
dismissed: to the status it has).

`enter_in_bulk` is its column-wise form for awards born in bulk (免申即享 proposals): the same
first status, version and history row, written as columns so a county's hundreds of thousands of
proposals need no ORM object each (`benchmarks/assistance_identification.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.awards import repository
from assistance.awards.awards.models import Award, AwardHistory
from assistance.awards.awards.rules import AwardStatus

REASON_LENGTH = 500  # award_history.reason


def transition(
    session: AsyncSession, award: Award, to: AwardStatus, *, actor: str, reason: str
) -> None:
    """`award` moves to `to`: one history row from its status (None for a new award, built
    with version 0) and the version + 1."""
    session.add(
        AwardHistory(
            award_id=award.id,
            from_status=award.status,
            to_status=to.value,
            actor=actor,
            reason=reason[:REASON_LENGTH],
        )
    )
    award.status = to.value
    award.version += 1


async def enter_in_bulk(
    session: AsyncSession,
    awards: Mapping[str, Sequence[Any]],
    *,
    to: AwardStatus,
    actor: str,
    reasons: Sequence[str],
    at: datetime,
) -> None:
    """New awards given as columns (every column but `status` and `version`) enter `to` at
    version 1, each with its first history row (None → `to`, `reasons[i]`) — what `transition`
    does for one award."""
    count = len(awards["id"])
    await repository.insert_award_columns(
        session,
        {**awards, "status": [to.value] * count, "version": [1] * count},
        {
            "award_id": awards["id"],
            "from_status": [None] * count,
            "to_status": [to.value] * count,
            "actor": [actor] * count,
            "reason": [reason[:REASON_LENGTH] for reason in reasons],
            "at": [at] * count,
        },
    )
