"""Races for a teacher's natural keys between two replicas on one database, SQLite and
PostgreSQL (issue 17): twenty identical requests at once, spread over two apps with their own
engines; the key is written once, every other request hears why (409 problem+json), nothing is
half written, nothing answers 5xx."""

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import select

from junheng_kit.tables import OutboxMessage
from junheng_kit.testing.plugin import Replicas, assert_race_settled
from staffing.teachers.models import (
    SchoolRurality,
    SchoolTeacherStats,
    Teacher,
    TeacherAssignment,
)

from .conftest import JUNIOR, PRIMARY, citizen_id, seed_schools, teacher


@pytest.fixture
async def schools(replicas: Replicas) -> None:
    async with replicas.apps[0].state.sessionmaker() as session:
        await seed_schools(session)  # committed: both replicas see them


async def events(replicas: Replicas, event_type: str) -> int:
    return await replicas.count(OutboxMessage, OutboxMessage.subject == event_type)


@pytest.mark.usefixtures("schools")
class TestTeacherRaces:
    async def test_one_person_registered_twenty_times_at_once_is_one_teacher(
        self, replicas: Replicas, writer: dict[str, Any]
    ) -> None:
        answers = await replicas.race("POST", "/v1/teachers", json=teacher(), headers=writer)
        assert_race_settled(answers, ("citizen_id", "teacher_in_one_school"))
        assert await replicas.count(Teacher) == 1
        assert await replicas.count(TeacherAssignment) == 1
        assert await events(replicas, "staffing.teacher.registered") == 1

    async def test_one_move_sent_twenty_times_at_once_moves_the_teacher_once(
        self, replicas: Replicas, writer: dict[str, Any]
    ) -> None:
        created = await replicas.client.post("/v1/teachers", json=teacher(), headers=writer)
        assert created.status_code == 201, created.text
        move = {"to_school_code": JUNIOR, "moved_on": "2024-09-01", "reason": "交流轮岗"}
        answers = await replicas.race(
            "POST", f"/v1/teachers/{created.json()['id']}/moves", json=move, headers=writer
        )
        # a move that raced is told the teacher changed under it; one that came after the
        # first had committed finds the teacher already there (422 move_to_another_school)
        assert_race_settled(
            answers,
            ("header.if-match", "version_current"),
            ("path.teacher_id", "posting_sequence_unique"),
            later=frozenset({422}),
        )
        for answer in answers:
            if answer.status_code == 422:
                assert answer.json()["errors"][0]["rule"] == "move_to_another_school"
        assert await replicas.count(TeacherAssignment) == 2
        assert await events(replicas, "staffing.teacher.moved") == 1

    async def test_a_school_marked_rural_twenty_times_at_once_has_one_mark(
        self, replicas: Replicas, writer: dict[str, Any]
    ) -> None:
        answers = await replicas.race(
            "PUT", f"/v1/schools/{PRIMARY}/rurality", json={"is_rural": True}, headers=writer
        )
        assert_race_settled(answers, ("path.school_code", "rurality_unique"), won=200, winners=None)
        assert await replicas.count(SchoolRurality) == 1

    async def test_teachers_joining_one_school_at_once_publish_one_count_each(
        self, replicas: Replicas, writer: dict[str, Any]
    ) -> None:
        """Ten different teachers registered into one school at once: each change of the
        school's counts is a version of its own, in commit order, and the newest version
        counts everyone (without the lock two of them published the same version, each
        counting only its own teacher: consumers then kept either)."""
        first = await replicas.client.post("/v1/teachers", json=teacher(), headers=writer)
        assert first.status_code == 201, first.text  # the school's counts exist from here
        sent = [
            replicas.clients[i % 2].post(
                "/v1/teachers",
                json=teacher(citizen_id=citizen_id("19850312", 100 + i), name=f"老师{i}"),
                headers=writer,
            )
            for i in range(10)
        ]
        answers = await asyncio.gather(*sent)
        registered = [a for a in answers if a.status_code == 201]
        assert all(a.status_code in (201, 409) for a in answers), [a.text for a in answers]
        for refused in (a for a in answers if a.status_code == 409):  # a deadlock, if any
            assert refused.json()["errors"][0]["rule"] == "concurrent_transaction"
            assert refused.headers["retry-after"] == "1"
        async with replicas.apps[0].state.sessionmaker() as session:
            stats = await session.get_one(SchoolTeacherStats, PRIMARY)
            payloads = await session.scalars(
                select(OutboxMessage.payload).where(
                    OutboxMessage.subject == "staffing.school_teacher_stats.changed"
                )
            )
            published = [json.loads(p)["data"] for p in payloads]
        versions = sorted(d["version"] for d in published if d["school_code"] == PRIMARY)
        assert versions == list(range(1, 2 + len(registered)))
        newest = max(
            (d for d in published if d["school_code"] == PRIMARY), key=lambda d: d["version"]
        )
        assert stats.version == newest["version"]
        assert newest["sections"][0]["full_time_teachers"] == 1 + len(registered)

    async def test_the_first_teachers_of_a_school_at_once_are_all_registered(
        self, replicas: Replicas, writer: dict[str, Any]
    ) -> None:
        """A school with no counts yet: ten teachers registered at once, on two replicas, all
        get in (the counts' row is created without a conflict, then locked), and the newest
        published version counts all ten."""
        sent = [
            replicas.clients[i % 2].post(
                "/v1/teachers",
                json=teacher(
                    citizen_id=citizen_id("19850312", 300 + i),
                    name=f"新老师{i}",
                    school_code=JUNIOR,
                    section="junior",
                ),
                headers=writer,
            )
            for i in range(10)
        ]
        answers = await asyncio.gather(*sent)
        assert [a.status_code for a in answers if a.status_code != 201] == [
            409 for a in answers if a.status_code == 409
        ]
        for refused in (a for a in answers if a.status_code == 409):  # a deadlock, if any
            assert refused.json()["errors"][0]["rule"] == "concurrent_transaction"
        registered = sum(a.status_code == 201 for a in answers)
        assert registered >= 9
        async with replicas.apps[0].state.sessionmaker() as session:
            stats = await session.get_one(SchoolTeacherStats, JUNIOR)
        assert stats.version == registered
        assert stats.sections[0]["full_time_teachers"] == registered
