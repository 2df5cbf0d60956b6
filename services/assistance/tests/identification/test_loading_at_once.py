"""A job's three reads (the roster, the lists with their entries, the year's awards and reviews)
run at once on PostgreSQL through a pool, one after another on SQLite or on sessions sharing one
connection: both ways load the same frames from committed data (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import date

import polars as pl
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from assistance.identification import loading
from assistance.identification.models import IdentificationJob
from assistance.students.models import Student, citizen_id_index
from junheng_kit.testing.plugin import Replicas

from .conftest import plant_list
from .test_identification_loading import pupil


@pytest.fixture
async def county(replicas: Replicas) -> tuple[list[Student], str]:
    """Three pupils of 150602 (one left school) and an mca list naming two, committed."""
    pupils = [pupil("王小明", 21), pupil("李四", 23), pupil("赵五", 25)]
    pupils[2].status = "left"
    async with replicas.apps[0].state.sessionmaker() as session:
        session.add_all(pupils)
        await session.flush()
        listed = await plant_list(
            session,
            "mca",
            [
                (pupils[0].citizen_id, "王小明", "dibao", date(2025, 1, 1), None),
                (pupils[2].citizen_id, "赵五", "tekun", date(2025, 1, 1), None),
            ],
        )
        await session.commit()
    return pupils, str(listed.id)


async def test_at_once_and_in_turn_load_the_same(
    replicas: Replicas, county: tuple[list[Student], str], backend: str
) -> None:
    pupils, list_id = county
    job = IdentificationJob(county_code="150602", school_year=2026, as_of=date(2026, 9, 1))
    pooled = replicas.apps[0].state.sessionmaker
    assert loading.reads_at_once(pooled) is (backend == "postgresql")

    at_once = await loading.load(pooled, job, configured={})
    engine = pooled.kw["bind"]
    async with engine.connect() as connection:  # every session on this one connection: in turn
        in_turn = await loading.load(
            async_sessionmaker(connection, expire_on_commit=False), job, configured={}
        )

    enrolled = sorted(citizen_id_index(p.citizen_id) for p in pupils[:2])
    assert sorted(at_once.roster["citizen_key"]) == enrolled  # the pupil who left is not read
    assert at_once.roster_from_snapshot is False
    assert [str(listed.id) for listed in at_once.lists] == [list_id]
    assert sorted(at_once.entries["category"]) == ["dibao", "tekun"]
    for name in ("roster", "entries", "awards", "reviewed"):
        ours: pl.DataFrame = getattr(at_once, name)
        theirs: pl.DataFrame = getattr(in_turn, name)
        assert ours.sort(ours.columns).equals(theirs.sort(theirs.columns)), name
    assert at_once.roster_version == in_turn.roster_version
    assert at_once.programmes == in_turn.programmes
    assert at_once.priorities == in_turn.priorities
    assert at_once.answered == in_turn.answered


async def test_loading_does_not_wait_for_a_writer(
    replicas: Replicas, county: tuple[list[Student], str]
) -> None:
    """A write transaction open meanwhile (a roster import, say) holds SQLite's write lock: the
    job's reads take none, so they do not queue behind it (nor on PostgreSQL)."""
    pooled = replicas.apps[0].state.sessionmaker
    job = IdentificationJob(county_code="150602", school_year=2026, as_of=date(2026, 9, 1))
    async with pooled() as writer:
        writer.add(pupil("钱六", 27))
        await writer.flush()  # the write transaction has begun and holds the lock
        loaded = await asyncio.wait_for(loading.load(pooled, job, configured={}), timeout=5)
        await writer.rollback()
    assert loaded.roster.height == 2  # the uncommitted pupil is not read
