"""Two replicas applying two versions of the same copy at once (issue 17): the one that commits
last must not write its older copy over the newer one. Each applier reads the row FOR UPDATE, so
the second waits for the first and then sees its version. Each test has a database of its own
(a seat plan of county 150602 would change other tests' verdicts).

On PostgreSQL only: SQLite lets one writer in at a time (its whole transaction, not a row), so
two appliers there cannot interleave at all."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from evaluation.schools.models import School
from evaluation.seats.models import SeatPlan
from evaluation.seats.service import apply_seats
from evaluation.teachers.models import SchoolTeacherStats
from evaluation.teachers.service import apply_teacher_stats
from junheng_contracts.enrollment import SchoolData
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.school_directory import apply_school_state

from .seats.test_seat_events import seats_event
from .teachers.test_teacher_stats_events import stats_event

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])

SCHOOL = "2115060077"
Apply = Callable[[AsyncSession, int], Awaitable[Any]]


@pytest.fixture
async def sessions(fresh_database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(fresh_database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def newer_then_older(sessions: async_sessionmaker[AsyncSession], apply: Apply) -> None:
    """Version 1 stored; then version 3 applied and held uncommitted while version 2 is applied
    in a second transaction; 3 commits first, 2 after."""
    async with sessions() as session:
        await apply(session, 1)
        await session.commit()
    async with sessions() as first, sessions() as second:
        await apply(first, 3)
        late = asyncio.create_task(apply(second, 2))
        await asyncio.sleep(0.3)
        waited = not late.done()
        await first.commit()
        applied = await late
        await second.commit()
    assert waited  # the older copy waited for the row
    assert applied is False  # and then found the newer one


def school(version: int) -> SchoolData:
    return SchoolData(
        school_code=SCHOOL,
        name=f"竞态小学 v{version}",
        levels=["primary"],
        county_code="150602",
        longitude=109.99,
        latitude=39.82,
        planned_capacity=600,
        version=version,
    )


class TestNewerCopyKept:
    async def test_teacher_counts(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        async def apply(session: AsyncSession, version: int) -> bool:
            event = stats_event(SCHOOL, version, ("primary", 10 + version, 5, 1, 1))
            return await apply_teacher_stats(session, event)

        await newer_then_older(sessions, apply)
        async with sessions() as session:
            stored = await session.get_one(SchoolTeacherStats, SCHOOL)
        assert stored.version == 3

    async def test_the_school_copy(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        async def apply(session: AsyncSession, version: int) -> bool:
            return await apply_school_state(session, School, school(version), f"event-{version}")

        await newer_then_older(sessions, apply)
        async with sessions() as session:
            stored = await session.get_one(School, SCHOOL)
        assert (stored.version, stored.name) == (3, "竞态小学 v3")

    async def test_seat_plans(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        async def apply(session: AsyncSession, version: int) -> bool:
            return await apply_seats(session, seats_event(SCHOOL, "primary", version, version, 45))

        await newer_then_older(sessions, apply)
        async with sessions() as session:
            stored = await session.get_one(SeatPlan, (SCHOOL, 2025, "primary"))
        assert (stored.version, stored.planned_classes) == (3, 3)
