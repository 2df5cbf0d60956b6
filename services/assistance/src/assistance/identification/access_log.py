"""A scan's list matches in each child's access log (查询记录).

Comparing the roster with an agency's list (乡村振兴, 民政, …) looks the child up in that list as
surely as a per-child lookup does: every roster child a list matched — by ID and name
(auto-identified) or partly (a review item) — gets a ledger entry `kind="list_match"` naming the
agency, the list (`answer_id`), the job (`request_id`), its purpose and legal basis, so the
family's access log shows it. Appended in the job's transaction; the ledger holds the student
key, never the citizen ID.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import polars as pl
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.identification.models import IdentificationJob
from assistance.identification.rules import Matches
from assistance.ledger.service import LedgerRecord, append_many
from assistance.students.models import Student

CHUNK = 2000
MATCHED, PARTIAL = "matched", "partial_match"


def matched_children(matches: Matches) -> list[tuple[str, str, str, str]]:
    """(student id, agency, list ref, outcome) once per child, agency and list: exact matches
    first, then partial ones not already matched by the same list, in a stable order."""
    columns = ["student_id", "agency", "list_ref"]
    exact = matches.exact.select(columns).with_columns(pl.lit(MATCHED).alias("outcome"))
    partial = pl.concat(
        [matches.name_mismatch.select(columns), matches.id_mismatch.select(columns)]
    ).with_columns(pl.lit(PARTIAL).alias("outcome"))
    both = pl.concat([exact, partial]).unique(subset=columns, keep="first", maintain_order=True)
    return [(str(s), str(a), str(r), str(o)) for s, a, r, o in both.sort(columns).iter_rows()]


async def _student_keys(session: AsyncSession, ids: Sequence[str]) -> dict[str, str]:
    keys: dict[str, str] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), CHUNK):
        rows = await session.execute(
            select(Student.id, Student.student_key).where(
                Student.id.in_([UUID(i) for i in wanted[start : start + CHUNK]])
            )
        )
        keys.update((str(student_id), key) for student_id, key in rows)
    return keys


async def record_list_matches(
    session: AsyncSession, job: IdentificationJob, matches: Matches
) -> int:
    """Ledger one `list_match` entry per matched child, agency and list; returns the count."""
    found = matched_children(matches)
    keys = await _student_keys(session, [student_id for student_id, *_ in found])
    records = [
        LedgerRecord(
            kind="list_match",
            actor=job.requested_by,
            county_code=job.county_code,
            agency=agency,
            purpose=job.purpose,
            legal_basis=job.legal_basis,
            request_id=str(job.id),
            answer_id=list_ref,
            outcome=outcome,
            student_key=keys[student_id],
            detail="应助尽助名单比对 / list match of identification job",
        )
        for student_id, agency, list_ref, outcome in found
        if student_id in keys
    ]
    await append_many(session, records)
    return len(records)
