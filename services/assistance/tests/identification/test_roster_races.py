"""Races for a child's place on the roster between two replicas on one database, SQLite and
PostgreSQL (issue 17): twenty identical registrations at once, spread over two apps with their
own engines; the child is on the roster once, every other request hears why (409)."""

from typing import Any

import pytest

from assistance.students.models import RosterVersion, Student
from junheng_kit.testing.plugin import Replicas, TokenFactory, assert_race_settled

from .conftest import add_schools, writer
from .test_roster_api import child


@pytest.fixture
async def schools(replicas: Replicas) -> None:
    async with replicas.apps[0].state.sessionmaker() as session:
        await add_schools(session)
        await session.commit()  # both replicas see them


@pytest.mark.usefixtures("schools")
class TestRegistrationRaces:
    async def test_one_child_registered_twenty_times_at_once_is_on_the_roster_once(
        self, replicas: Replicas, token: TokenFactory
    ) -> None:
        headers: dict[str, Any] = writer(token)
        answers = await replicas.race("POST", "/v1/students", json=child(), headers=headers)
        assert_race_settled(answers, ("citizen_id", "citizen_id_unique"))
        assert await replicas.count(Student) == 1
        async with replicas.apps[0].state.sessionmaker() as session:
            roster = await session.get(RosterVersion, "150602")
        assert roster is not None
        assert roster.version == 1  # bumped by the one registration that was written
