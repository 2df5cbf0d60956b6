"""propose_awards and raise_status_notices: the calls the 应助尽助 job makes (both databases)."""

import logging
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.awards.models import Award, AwardHistory
from assistance.awards.awards.rules import AwardProposal
from assistance.awards.awards.service import propose_awards
from assistance.awards.notices.models import StatusNotice
from assistance.awards.notices.rules import StatusChange
from assistance.awards.notices.service import raise_status_notices
from assistance.programmes.service import ProgrammeEligibility, auto_programmes

from .conftest import MakeStudent


class TestAutoProgrammes:
    async def test_the_living_subsidy_is_proposed_from_every_category(
        self, session: AsyncSession
    ) -> None:
        found = await auto_programmes(session, on=date(2026, 9, 1))
        living = [p for p in found if p.programme_code == "living_subsidy"]
        assert living == [
            ProgrammeEligibility(
                "living_subsidy",
                frozenset(
                    {
                        "dibao",
                        "tekun",
                        "orphan",
                        "de_facto_unsupported",
                        "hardship_child",
                        "disabled_student",
                        "disabled_parent",
                        "tuopin",
                        "monitored_relapse",
                    }
                ),
                "",
            )
        ]
        assert [p.programme_code for p in found] == ["living_subsidy"]

    async def test_nothing_is_automatic_before_the_seeded_version(
        self, session: AsyncSession
    ) -> None:
        assert await auto_programmes(session, on=date(2019, 8, 31)) == []


class TestProposeAwards:
    async def test_amounts_come_from_the_standard_by_level_and_boarding(
        self, session: AsyncSession, make_student: MakeStudent, caplog: pytest.LogCaptureFixture
    ) -> None:
        # INFO on, as in a running service: the log fields must not clash with LogRecord's own
        caplog.set_level(logging.INFO, logger="assistance")
        junior_day = await make_student(level="junior", boarding=False)
        primary_boarder = await make_student(level="primary", boarding=True)
        created = await propose_awards(
            session,
            actor="job:1",
            proposals=[
                AwardProposal(junior_day.id, "living_subsidy", 2026, "dibao", ("as-1",)),
                AwardProposal(primary_boarder.id, "living_subsidy", 2026, "orphan", ("as-2",)),
            ],
        )
        assert created == 2
        awards = {
            a.student_id: a
            for a in await session.scalars(select(Award).where(Award.source == "auto"))
        }
        # domain.md §4.1: junior non-boarder 1250 × 50 % = 625; primary boarder 1000
        assert awards[junior_day.id].amount_yuan == Decimal("625.00")
        assert awards[primary_boarder.id].amount_yuan == Decimal("1000.00")
        assert awards[junior_day.id].status == "proposed"
        assert awards[junior_day.id].evidence == ["as-1"]
        assert awards[junior_day.id].county_code == "150602"
        history = (
            await session.scalars(
                select(AwardHistory).where(AwardHistory.award_id == awards[junior_day.id].id)
            )
        ).all()
        assert [(h.from_status, h.to_status, h.actor) for h in history] == [
            (None, "proposed", "job:1")
        ]

    async def test_a_student_with_an_award_for_the_year_is_skipped(
        self, session: AsyncSession, make_student: MakeStudent
    ) -> None:
        student = await make_student()
        proposal = AwardProposal(student.id, "living_subsidy", 2026, "dibao", ("as-1",))
        assert await propose_awards(session, actor="job:1", proposals=[proposal]) == 1
        again = [proposal, AwardProposal(student.id, "living_subsidy", 2026, "tekun", ())]
        assert await propose_awards(session, actor="job:2", proposals=again) == 0
        next_year = AwardProposal(student.id, "living_subsidy", 2027, "dibao", ())
        assert await propose_awards(session, actor="job:2", proposals=[next_year]) == 1

    async def test_a_programme_without_a_standard_in_force_proposes_nothing(
        self, session: AsyncSession, make_student: MakeStudent
    ) -> None:
        student = await make_student(boarding=True)
        lodging = AwardProposal(student.id, "lodging_subsidy", 2026, "dibao", ())
        before_standard = AwardProposal(student.id, "living_subsidy", 2018, "dibao", ())
        created = await propose_awards(session, actor="job:1", proposals=[lodging, before_standard])
        assert created == 0


class TestStatusNotices:
    async def test_a_lost_category_notifies_each_award_it_supports(
        self, session: AsyncSession, make_student: MakeStudent
    ) -> None:
        student = await make_student()
        await propose_awards(
            session,
            actor="job:1",
            proposals=[AwardProposal(student.id, "living_subsidy", 2026, "dibao", ())],
        )
        change = StatusChange(student.id, None, "dibao", "lost", "mca", date(2026, 11, 2))
        assert await raise_status_notices(session, actor="job:2", changes=[change]) == 1
        assert await raise_status_notices(session, actor="job:3", changes=[change]) == 0
        notice = await session.scalar(
            select(StatusNotice).where(StatusNotice.student_id == student.id)
        )
        assert notice is not None
        assert notice.award_id is not None
        assert notice.grace_until == date(2026, 12, 2)  # 30 days after 2026-11-02
        assert notice.status == "open"

    async def test_a_gained_category_is_a_notice_without_an_award(
        self, session: AsyncSession, make_student: MakeStudent
    ) -> None:
        student = await make_student()
        change = StatusChange(student.id, None, "tuopin", "gained", "nrra", date(2026, 11, 2))
        assert (
            await raise_status_notices(session, actor="job", changes=[change], grace_days=10) == 1
        )
        notice = await session.scalar(
            select(StatusNotice).where(StatusNotice.student_id == student.id)
        )
        assert notice is not None
        assert (notice.award_id, notice.change, notice.grace_until) == (
            None,
            "gained",
            date(2026, 11, 12),
        )
