"""`python -m assistance reencrypt` after a profile switch: the agencies' answers about a pupil
take the pupil's new blind index of the citizen ID (the answer holds no ID to make it from);
an answer about a person never on the roster, and a purged one, are left as they are."""

from typing import Any
from uuid import UUID

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.agencies.models import AgencyAssertion
from assistance.agencies.repository import reindex_assertions
from assistance.students.models import citizen_id_index
from junheng_kit.agency.protocol import subject_sha256
from junheng_kit.timeutil import utcnow

from .test_retention_api import cid, pupil

STALE, ELSEWHERE = "0" * 32, "1" * 32


def answer(n: int, student_id: UUID | None, index: str | None, citizen_id: str) -> AgencyAssertion:
    return AgencyAssertion(
        assertion_id=f"mca-{n}",
        agency="mca",
        student_id=student_id,
        citizen_id_index=index,
        subject_sha256=subject_sha256(citizen_id),
        matched=True,
        name_matches=True,
        categories=[],
        issued_at=utcnow(),
        key_id="k1",
        signature="s" * 86,
        ledger_seq=n,
    )


async def test_answers_about_a_pupil_take_the_pupils_index(
    app: FastAPI, session: AsyncSession
) -> None:
    wang = pupil(30, "enrolled", months_ago=1)
    session.add(wang)
    await session.flush()
    session.add_all(
        [
            answer(1, wang.id, STALE, wang.citizen_id),  # made under the old profile
            answer(2, None, ELSEWHERE, cid(31)),  # never on the roster
            answer(3, wang.id, None, wang.citizen_id),  # purged
        ]
    )
    await session.commit()

    assert await reindex_assertions(app.state.sessionmaker) == 1
    assert await reindex_assertions(app.state.sessionmaker) == 0  # repeatable
    rows: list[Any] = list(
        (
            await session.execute(
                select(AgencyAssertion.ledger_seq, AgencyAssertion.citizen_id_index).order_by(
                    AgencyAssertion.ledger_seq
                )
            )
        ).all()
    )
    assert [tuple(r) for r in rows] == [
        (1, citizen_id_index(wang.citizen_id)),
        (2, ELSEWHERE),
        (3, None),
    ]
