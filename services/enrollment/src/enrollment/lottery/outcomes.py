"""Per-family outcomes of a run over stored applications (`assignment_outcome`).

A run's answer is one JSON document (128 MB at 200,000 families); a family reading why it got
its school needs one row of it. The rows are written column-wise with the run, in its
transaction, and read back by application id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from uuid import UUID

import orjson
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.lottery import rules
from enrollment.lottery.models import AssignmentOutcome, AssignmentRun
from junheng_kit.bulk_insert import insert_columns

OUTCOME = cast(Table, AssignmentOutcome.__table__)
NONE_ABOVE = "[]"  # the family got its first admissible choice: nothing ranked above to explain


def outcome_columns(
    run_id: UUID, instance: rules.Instance, outcome: rules.Outcome
) -> dict[str, Sequence[Any]]:
    """One row per applicant: the school received, the tier and lottery number there (none when
    unplaced), the explanations as the run answer has them (JSON, already encoded)."""
    ids: list[str] = []
    schools: list[str | None] = []
    tiers: list[int | None] = []
    lotteries: list[str | None] = []
    explanations: list[str] = []
    single = outcome.lotteries
    for applicant in instance.applicants:
        application_id = applicant.application_id
        received = outcome.assignments[application_id]
        ids.append(application_id)
        schools.append(received)
        tiers.append(applicant.priorities.get(received) if received is not None else None)
        if single is not None:
            lotteries.append(single[application_id])
        elif received is not None:
            lotteries.append(rules.lottery(instance.seed, application_id, received))
        else:
            lotteries.append(None)
        reasons = outcome.explanations[application_id]
        explanations.append(
            NONE_ABOVE
            if not reasons
            else orjson.dumps(
                [
                    {
                        "school_code": e.school_code,
                        "reason": e.reason,
                        "tier": e.tier,
                        "lottery": e.lottery,
                        "cutoff_tier": e.cutoff_tier,
                        "cutoff_lottery": e.cutoff_lottery,
                    }
                    for e in reasons
                ]
            ).decode()
        )
    return {
        "run_id": [run_id] * len(ids),
        "application_id": ids,
        "school_code": schools,
        "tier": tiers,
        "lottery": lotteries,
        "explanations": explanations,
    }


async def store(
    session: AsyncSession, run_id: UUID, instance: rules.Instance, outcome: rules.Outcome
) -> None:
    await insert_columns(
        await session.connection(),
        OUTCOME,
        outcome_columns(run_id, instance, outcome),
        encoded={"explanations"},
    )


async def latest_of(
    session: AsyncSession, application_id: UUID, *, run_id: UUID | None
) -> tuple[AssignmentRun, AssignmentOutcome] | None:
    """The family's outcome in `run_id` (the run its admission came from) or, without one, in
    the newest run it was part of; None when it was in no run."""
    query = (
        select(AssignmentRun, AssignmentOutcome)
        .join(AssignmentOutcome, AssignmentOutcome.run_id == AssignmentRun.id)
        .where(AssignmentOutcome.application_id == str(application_id))
    )
    if run_id is not None:
        query = query.where(AssignmentRun.id == run_id)
    row = (await session.execute(query.order_by(AssignmentRun.created_at.desc()).limit(1))).first()
    return None if row is None else (row[0], row[1])
