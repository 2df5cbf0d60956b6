"""Races for the award tables' natural keys between two replicas on one database, SQLite and
PostgreSQL (issue 17): twenty identical requests at once, spread over two apps with their own
engines; the key is written once, every other request hears why (409 problem+json), nothing is
half written, nothing answers 5xx."""

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from assistance.awards.awards.models import Award, AwardHistory
from assistance.awards.calendar.models import WorkCalendar
from assistance.programmes.models import Programme
from assistance.students.models import Student
from junheng_kit.identifiers import student_key
from junheng_kit.tables import OutboxMessage
from junheng_kit.testing.plugin import (
    TEST_PSEUDONYM_KEY,
    Replicas,
    assert_race_settled,
)

from .conftest import citizen_id
from .test_api import application


@pytest.fixture
async def pupil(replicas: Replicas) -> Student:
    """A Dongsheng junior non-boarder on the roster, committed: both replicas see them."""
    cid = citizen_id()
    student = Student(
        citizen_id=cid,
        student_key=student_key(TEST_PSEUDONYM_KEY.encode(), cid),
        name="张三丰",
        gender="male",
        birth_date=date(2014, 3, 1),
        county_code="150602",
        school_code="2115060201",
        level="junior",
        grade=7,
        boarding=False,
    )
    async with replicas.apps[0].state.sessionmaker() as session:
        session.add(student)
        await session.commit()
    return student


class TestAwardRaces:
    async def test_one_award_applied_for_twenty_times_at_once_is_made_once(
        self, replicas: Replicas, writer: dict[str, Any], pupil: Student
    ) -> None:
        answers = await replicas.race(
            "POST", "/v1/awards", json=application(pupil.id), headers=writer
        )
        assert_race_settled(answers, ("programme_code", "award_unique"))
        assert await replicas.count(Award) == 1
        assert await replicas.count(AwardHistory) == 1


class TestProgrammeRaces:
    async def test_versions_put_twenty_times_at_once_are_numbered_once_each(
        self, replicas: Replicas, writer: dict[str, Any]
    ) -> None:
        body = {
            "name": "东胜区寄宿生交通补助",
            "scope_code": "150602",
            "eligible_categories": ["dibao", "tekun"],
            "effective_from": "2025-09-01",
            "source": "东胜区 test",
        }
        answers = await replicas.race(
            "PUT", "/v1/programmes/dongsheng_transport", json=body, headers=writer
        )
        # each PUT adds the next version: those that got through are 1…n without a twin; one
        # that numbered a version a concurrent one took is told to send it again
        stored = assert_race_settled(
            answers, ("code", "programme_version_unique"), won=200, winners=None
        )
        assert sorted(a.json()["version"] for a in stored) == list(range(1, len(stored) + 1))
        async with replicas.apps[0].state.sessionmaker() as session:
            versions = await session.scalars(
                select(Programme.version).where(Programme.code == "dongsheng_transport")
            )
            assert sorted(versions) == list(range(1, len(stored) + 1))


class TestCalendarRaces:
    async def test_a_year_put_twenty_times_at_once_has_one_calendar(
        self, replicas: Replicas, writer: dict[str, Any]
    ) -> None:
        body = {"holidays": ["2027-01-01"], "working_days": ["2027-01-02"], "source": "test"}
        answers = await replicas.race("PUT", "/v1/calendars/2027", json=body, headers=writer)
        assert_race_settled(answers, ("path.year", "calendar_unique"), won=200, winners=None)
        assert await replicas.count(WorkCalendar, WorkCalendar.year == 2027) == 1
        assert await replicas.count(OutboxMessage) == 0  # the calendar announces nothing
