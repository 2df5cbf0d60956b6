"""A 应助尽助 job's loading: what it reads, as frames (`Inputs`), and how (`load`).

Read only; the job runner (jobs.py) keeps the roster snapshot it read from the tables.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from assistance.agencies.models import CategoryList
from assistance.categories import CATEGORIES
from assistance.identification import rules, snapshot
from assistance.identification.models import IdentificationJob
from assistance.identification.repository import IdentificationRepository
from assistance.programmes.service import (
    ProgrammeEligibility,
    auto_programmes,
    priority_categories,
)
from junheng_kit.db import READ_ONLY
from junheng_kit.timeutil import utcnow

Priorities = dict[str, frozenset[str]]  # programme code → the categories it serves first


def answered_categories(
    lists: Sequence[CategoryList], configured: Mapping[str, Sequence[str]]
) -> dict[str, str]:
    """category → agency for the agencies with a current list: the categories the deployment's
    agency configuration assigns them (domain.md §4.2, PARAM per province), else the defaults."""
    answered: dict[str, str] = {}
    for agency in sorted({c.agency for c in lists}):
        categories = configured.get(agency) or [
            code for code, (_, default) in CATEGORIES.items() if default == agency
        ]
        for category in categories:
            answered.setdefault(category, agency)
    return answered


def applicable(
    programmes: Sequence[ProgrammeEligibility], county_code: str
) -> list[rules.Programme]:
    return [
        rules.Programme(p.programme_code, p.categories)
        for p in programmes
        if county_code.startswith(p.scope_code)
    ]


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a job reads, as frames: the county's roster, the current lists, the year's awards."""

    lists: list[CategoryList]
    roster: pl.DataFrame
    entries: pl.DataFrame
    awards: pl.DataFrame
    reviewed: pl.DataFrame  # (student_id, assertion_id) already queued this year
    programmes: list[rules.Programme]
    priorities: Priorities
    answered: dict[str, str]  # category → agency with a current list
    loaded_at: datetime
    roster_version: int  # the county's roster version the roster was read at
    roster_from_snapshot: bool  # False: read from the tables (the snapshot was stale or absent)


async def load_roster(
    repository: IdentificationRepository, county_code: str
) -> tuple[pl.DataFrame, int, bool]:
    """The county's enrolled roster: from its snapshot while the roster version is the one the
    snapshot was read at, else from the tables. → (frame, version, from the snapshot?)

    The version is read first: a write committed between the two reads makes the frame newer
    than its version says, so the next job rebuilds it — never the other way round.
    """
    version = await repository.roster_version(county_code)
    stored = await repository.roster_snapshot(county_code, version)
    if stored is not None:
        return stored, version, True
    return await repository.roster(county_code), version, False


async def store_roster_snapshot(session: AsyncSession, county_code: str, inputs: Inputs) -> None:
    """Keep the roster a job read from the tables, for the next job of the county."""
    payload = await asyncio.to_thread(snapshot.encode, inputs.roster)  # outside the GIL
    await IdentificationRepository(session).store_roster_snapshot(
        county_code, inputs.roster_version, inputs.roster, payload
    )


async def load(
    sessions: async_sessionmaker[AsyncSession],
    job: IdentificationJob,
    *,
    configured: Mapping[str, Sequence[str]],
) -> Inputs:
    """Load the roster (its snapshot while current), the current lists and the year's awards
    as frames (read only).

    Three independent reads, each on its own session: the roster, the lists with their
    entries, and the year's awards, reviews and programmes. On PostgreSQL they run at once,
    on three connections: the server (another process) runs one while this process decodes
    another (the province scan's loading: benchmarks/cluster_province.py).
    On SQLite the database works in this process, so at once they only contend (a tenth
    slower): one after another. None holds a connection while waiting for another's, so a
    full pool only queues them. Each read sees the data committed when it ran, as one
    session's statements do (READ COMMITTED); the roster's version is still read before the
    roster. The sessions only read: on SQLite they take no write lock (a plain BEGIN), so
    loading never queues behind a writer such as a roster import."""
    county = job.county_code

    @asynccontextmanager
    async def reading() -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            await session.connection(execution_options={READ_ONLY: True})
            yield session

    async def roster() -> tuple[pl.DataFrame, int, bool]:
        async with reading() as session:
            return await load_roster(IdentificationRepository(session), county)

    async def listed() -> tuple[list[CategoryList], pl.DataFrame]:
        async with reading() as session:
            repository = IdentificationRepository(session)
            lists = await repository.current_lists(county)
            return lists, await repository.entries(lists)

    async def year() -> tuple[pl.DataFrame, pl.DataFrame, list[rules.Programme], Priorities]:
        async with reading() as session:
            repository = IdentificationRepository(session)
            return (
                await repository.awards(county, job.school_year),
                await repository.reviewed_keys(county, job.school_year),
                applicable(await auto_programmes(session, on=job.as_of), county),
                await priority_categories(session, county_code=county, on=job.as_of),
            )

    if reads_at_once(sessions):
        read = await asyncio.gather(roster(), listed(), year())
    else:
        read = (await roster(), await listed(), await year())
    (
        (frame, version, from_snapshot),
        (lists, entries),
        (awards, reviewed, programmes, priorities),
    ) = read
    return Inputs(
        lists=lists,
        roster=frame,
        roster_version=version,
        roster_from_snapshot=from_snapshot,
        entries=entries,
        awards=awards,
        reviewed=reviewed,
        programmes=programmes,
        priorities=priorities,
        answered=answered_categories(lists, configured),
        loaded_at=utcnow(),
    )


def reads_at_once(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """PostgreSQL through a pool: each session its own connection (sessions bound to one
    connection, as the tests' are, take turns on it)."""
    bind = sessions.kw.get("bind")
    return isinstance(bind, AsyncEngine) and bind.dialect.name == "postgresql"


def loaded_counts(inputs: Inputs) -> dict[str, int]:
    """Progress once loading is over: what the matching works on."""
    return {
        "students": inputs.roster.height,
        "list_entries": inputs.entries.height,
        "awards": inputs.awards.height,
    }
