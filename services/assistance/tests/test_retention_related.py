"""The `student.left` purge leaves nothing personal behind in assistance (issue 20 item 4), on
SQLite and PostgreSQL: with the roster row, the same batch clears the review items' copy of the
agency list entry and the decider's reason, the status notices' appeal and resolution, the 公示
objections' summary and resolution, the panel's reasons in the award's review, the reasons of
the award's history, the reference and note of manual agency evidence and the agency answers'
citizen ID index and sealed subject hash — and keeps every amount, count, outcome and date;
another pupil's rows (enrolled, not purged) stay as written."""

from datetime import date
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from assistance.agencies.models import AgencyAssertion, CategoryList
from assistance.awards.awards.models import Award, AwardHistory
from assistance.awards.notices.models import StatusNotice
from assistance.awards.objections.models import Objection
from assistance.awards.publicity.models import PublicityBatch
from assistance.identification.models import IdentificationJob, ReviewItem
from assistance.students.models import Student, citizen_id_index
from junheng_kit.agency.protocol import subject_sha256
from junheng_kit.testing.plugin import Replicas, TokenFactory, auth
from junheng_kit.testing.retention import run_purge, set_rule
from junheng_kit.timeutil import utcnow

from .test_retention_api import KIND, RULE, award, pupil

CLEARED = "已清除"
REVIEW = {
    "result": "approved",
    "reviewer": "张老师",
    "panel": ["张老师", "李老师"],
    "reasons": "父亲重病，家庭无收入",
    "tier": None,
    "reviewed_at": "2023-09-20T08:00:00+00:00",
}
EVIDENCE = {
    "kind": "dibao_card",
    "reference": "低保证 1506020088",
    "reviewer": "张老师",
    "note": "母亲持证",
}


@pytest.fixture
def bureau(token: TokenFactory) -> dict[str, Any]:
    return auth(token("assistance:read", "assistance:write", "assistance:pii"))


async def seed_file(session: Any, student: Student, job: UUID, lists: UUID) -> dict[str, UUID]:
    """One aid file with every row that can hold the child's personal data."""
    paid = award(student, "paid")
    paid.review = dict(REVIEW)
    session.add(paid)
    await session.flush()
    batch = PublicityBatch(
        county_code=student.county_code,
        starts_on=date(2023, 9, 21),
        ends_on=date(2023, 9, 28),
        working_days=5,
        created_by="test",
    )
    session.add(batch)
    await session.flush()
    rows: list[Any] = [
        AwardHistory(
            award_id=paid.id,
            from_status="applied",
            to_status="reviewed",
            actor="t",
            reason="评议: 父亲重病",
        ),
        Objection(
            batch_id=batch.id,
            award_id=paid.id,
            received_on=date(2023, 9, 22),
            summary="邻居称其家中有车",
            status="dismissed",
            resolution="核实为亲属车辆",
            recorded_by="test",
            resolved_by="test",
        ),
        StatusNotice(
            student_id=student.id,
            award_id=paid.id,
            county_code=student.county_code,
            category="dibao",
            change="lost",
            agency="mca",
            detected_on=date(2023, 12, 1),
            grace_until=date(2024, 1, 1),
            status="resolved",
            appeal="低保正在复审，附复审回执",
            outcome="kept",
            resolution="复审通过",
            raised_by="test",
        ),
        StatusNotice(  # never appealed: stays without text
            student_id=student.id,
            county_code=student.county_code,
            category="disability",
            change="gained",
            agency="cdpf",
            detected_on=date(2024, 3, 1),
            grace_until=date(2024, 4, 1),
            status="open",
            raised_by="test",
        ),
        ReviewItem(
            job_id=job,
            student_id=student.id,
            county_code=student.county_code,
            school_code=student.school_code,
            school_year=2023,
            kind="name_mismatch",
            agency="mca",
            category="dibao",
            list_ref=lists,
            assertion_id="list-1",
            list_citizen_id=student.citizen_id,
            list_name="王晓" + student.name[-2:],
            status="confirmed",
            reason="同音字，户口本核实",
            decided_by="test",
            proposed_awards=1,
        ),
        AgencyAssertion(
            assertion_id=f"manual-{student.id.hex}",
            agency="mca",
            student_id=student.id,
            citizen_id_index=citizen_id_index(student.citizen_id),
            subject_sha256=subject_sha256(student.citizen_id),
            matched=True,
            name_matches=True,
            categories=[{"category": "dibao", "grade": None, "valid_from": "2023-01-01"}],
            issued_at=utcnow(),
            source="manual",
            evidence=dict(EVIDENCE),
            ledger_seq=1,
        ),
        AgencyAssertion(  # the agency's own answer: no evidence document
            assertion_id=f"mca-{student.id.hex}",
            agency="mca",
            student_id=student.id,
            citizen_id_index=citizen_id_index(student.citizen_id),
            subject_sha256=subject_sha256(student.citizen_id),
            matched=True,
            name_matches=True,
            categories=[{"category": "dibao", "grade": None, "valid_from": "2023-01-01"}],
            issued_at=utcnow(),
            key_id="k1",
            signature="s" * 86,
            evidence=None,
            ledger_seq=2,
        ),
    ]
    session.add_all(rows)
    await session.flush()
    return {"award": paid.id, "batch": batch.id}


async def rows_of(session: Any, student_id: UUID) -> dict[str, list[Any]]:
    awards = (await session.scalars(select(Award).where(Award.student_id == student_id))).all()
    ids = [a.id for a in awards]
    return {
        "awards": list(awards),
        "history": list(
            (
                await session.scalars(select(AwardHistory).where(AwardHistory.award_id.in_(ids)))
            ).all()
        ),
        "objections": list(
            (await session.scalars(select(Objection).where(Objection.award_id.in_(ids)))).all()
        ),
        "notices": list(
            (
                await session.scalars(
                    select(StatusNotice)
                    .where(StatusNotice.student_id == student_id)
                    .order_by(StatusNotice.detected_on)
                )
            ).all()
        ),
        "reviews": list(
            (
                await session.scalars(select(ReviewItem).where(ReviewItem.student_id == student_id))
            ).all()
        ),
        "assertions": list(
            (
                await session.scalars(
                    select(AgencyAssertion)
                    .where(AgencyAssertion.student_id == student_id)
                    .order_by(AgencyAssertion.ledger_seq)
                )
            ).all()
        ),
    }


async def test_the_purge_clears_the_childs_text_in_every_table_and_keeps_the_figures(
    replicas: Replicas, bureau: dict[str, Any]
) -> None:
    left = pupil(20, "left", months_ago=30)
    enrolled = pupil(21, "enrolled", months_ago=30)
    async with replicas.apps[0].state.sessionmaker() as session:
        session.add_all([left, enrolled])
        job = IdentificationJob(
            county_code="150602",
            school_year=2023,
            as_of=date(2023, 9, 1),
            refresh_lists=False,
            purpose="应助尽助",
            legal_basis="test",
            status="succeeded",
            phase="done",
            requested_by="test",
        )
        lists = CategoryList(
            agency="mca",
            region_code="150602",
            list_id="list-1",
            as_of=date(2023, 9, 1),
            entry_count=0,
            entries_sha256="0" * 64,
            key_id="k1",
            signature="s" * 86,
            ledger_seq=3,
        )
        session.add_all([job, lists])
        await session.flush()
        for student in (left, enrolled):
            await seed_file(session, student, job.id, lists.id)
        await session.commit()
    async with replicas.apps[0].state.sessionmaker() as session:
        before = await rows_of(session, left.id)
        untouched = await rows_of(session, enrolled.id)
    await set_rule(replicas.client, bureau, f"150602/{KIND}/2020-01-01", RULE)
    assert (await run_purge(replicas.client, bureau))["count"] == 1

    async with replicas.apps[0].state.sessionmaker() as session:
        after = await rows_of(session, left.id)
        kept = await rows_of(session, enrolled.id)

    (paid,) = after["awards"]
    assert paid.review == {**REVIEW, "reasons": CLEARED}
    assert (paid.amount_yuan, paid.paid_yuan, paid.status, paid.school_year) == (
        before["awards"][0].amount_yuan,
        before["awards"][0].paid_yuan,
        "paid",
        2023,
    )
    assert paid.updated_at == before["awards"][0].updated_at
    (step,) = after["history"]
    assert (step.reason, step.from_status, step.to_status, step.at) == (
        CLEARED,
        "applied",
        "reviewed",
        before["history"][0].at,
    )
    (objection,) = after["objections"]
    assert (objection.summary, objection.resolution) == (CLEARED, CLEARED)
    assert (objection.status, objection.received_on) == ("dismissed", date(2023, 9, 22))
    appealed, silent = after["notices"]
    assert (appealed.appeal, appealed.resolution) == (CLEARED, CLEARED)
    assert (appealed.outcome, appealed.status, appealed.detected_on) == (
        "kept",
        "resolved",
        date(2023, 12, 1),
    )
    assert (silent.appeal, silent.resolution, silent.status) == (None, None, "open")
    (review,) = after["reviews"]
    assert (review.list_citizen_id, review.list_name, review.reason) == ("", CLEARED, CLEARED)
    assert (review.status, review.kind, review.proposed_awards) == ("confirmed", "name_mismatch", 1)
    manual, answered = after["assertions"]
    assert manual.evidence == {**EVIDENCE, "reference": CLEARED, "note": CLEARED}
    assert (manual.categories, manual.matched) == (before["assertions"][0].categories, True)
    assert answered.evidence is None
    for answer in (manual, answered):  # the answers no longer lead to the ID
        assert (answer.subject_sha256, answer.citizen_id_index) == ("", None)

    def text(rows: dict[str, list[Any]]) -> list[Any]:
        return [
            rows["awards"][0].review,
            rows["history"][0].reason,
            (rows["objections"][0].summary, rows["objections"][0].resolution),
            [(n.appeal, n.resolution) for n in rows["notices"]],
            (rows["reviews"][0].list_citizen_id, rows["reviews"][0].list_name),
            rows["reviews"][0].reason,
            [(a.evidence, a.subject_sha256, a.citizen_id_index) for a in rows["assertions"]],
        ]

    assert text(kept) == text(untouched)
    assert kept["reviews"][0].list_citizen_id == enrolled.citizen_id
