"""The 应助尽助 job's roster snapshot on SQLite and PostgreSQL: a job stores the roster it read
at the county's roster version, the next job reads the snapshot while that version holds, and
every roster writer bumps the version so no job answers from a stale roster."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

import polars as pl
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.identification import snapshot
from assistance.identification.models import RosterSnapshot
from assistance.identification.repository import IdentificationRepository
from assistance.identification.rules import ROSTER_SCHEMA
from assistance.students.models import RosterVersion, Student, citizen_id_index, name_born_index
from assistance.students.service import apply_admission
from junheng_contracts.enrollment import AdmissionConfirmedData
from junheng_kit import fieldcrypt
from junheng_kit.identifiers import citizen_id_from_body as cid
from junheng_kit.tabular import CSV
from junheng_kit.testing.plugin import TokenFactory

from .conftest import NEIGHBOUR, PRIMARY, WANG, run_job, writer

pytestmark = pytest.mark.usefixtures("schools")

HEADER = "姓名,身份证件号,学校标识码,学段,年级,是否寄宿生\n"
NEW_CHILD = cid("15060220150808011")  # 周新: not on the roster until a writer brings her


async def version_of(session: AsyncSession, county_code: str = "150602") -> int:
    return int(
        await session.scalar(
            select(RosterVersion.version).where(RosterVersion.county_code == county_code)
        )
        or 0
    )


async def stored(session: AsyncSession) -> tuple[int, int]:
    """(version, rows) of Dongsheng's snapshot."""
    row = (
        await session.execute(
            select(RosterSnapshot.version, RosterSnapshot.rows).where(
                RosterSnapshot.county_code == "150602"
            )
        )
    ).one()
    return int(row.version), int(row.rows)


async def by_name(session: AsyncSession, name: str) -> Student:
    """The roster row of a name (names are stored encrypted: the rows are read and compared)."""
    (student,) = [s for s in await session.scalars(select(Student)) if s.name == name]
    return student


# --- every roster writer: (what it does, the Dongsheng roster size after it) --------------------


async def import_a_child(client: AsyncClient, token: TokenFactory, _: AsyncSession) -> None:
    sheet = HEADER + f"周新,{NEW_CHILD},{PRIMARY},小学,5,否"
    response = await client.post(
        "/v1/students/imports", content=sheet.encode(), headers=writer(token, content_type=CSV)
    )
    assert response.status_code == 201, response.text


async def reimport_a_name(client: AsyncClient, token: TokenFactory, session: AsyncSession) -> None:
    """An import updating a known child (the name the rules compare) adds nobody."""
    wang = await by_name(session, "王芳")
    sheet = HEADER + f"王小芳,{wang.citizen_id},{PRIMARY},小学,5,是"
    response = await client.post(
        "/v1/students/imports", content=sheet.encode(), headers=writer(token, content_type=CSV)
    )
    assert response.status_code == 201, response.text


async def register_a_child(client: AsyncClient, token: TokenFactory, _: AsyncSession) -> None:
    body = {
        "citizen_id": NEW_CHILD,
        "name": "周新",
        "school_code": PRIMARY,
        "level": "primary",
        "grade": 5,
        "boarding": False,
    }
    response = await client.post("/v1/students", json=body, headers=writer(token))
    assert response.status_code == 201, response.text


async def transfer_out(client: AsyncClient, token: TokenFactory, session: AsyncSession) -> None:
    wang = await by_name(session, "王芳")
    response = await client.post(
        f"/v1/students/{wang.id}/transfers",
        json={"to_county_code": "150603", "to_school_code": NEIGHBOUR, "on": "2026-09-02"},
        headers=writer(token),
    )
    assert response.status_code == 201, response.text


async def admission_elsewhere(_: AsyncClient, __: TokenFactory, session: AsyncSession) -> None:
    """enrollment.admission.confirmed places 钱多 at the neighbouring county's school."""
    qian = await by_name(session, "钱多")
    data = AdmissionConfirmedData(
        application_id="application-1",
        county_code="150603",
        year=2026,
        school_code=NEIGHBOUR,
        level="primary",
        grade=4,
        student_key=qian.student_key,
        route="assignment",
    )
    await apply_admission(session, data, event_id="event-admission-1")
    await session.commit()


Writer = Callable[[AsyncClient, TokenFactory, AsyncSession], Awaitable[None]]
WRITERS: list[tuple[Writer, int, str | None]] = [
    (import_a_child, 7, None),
    (reimport_a_name, 6, "王小芳"),
    (register_a_child, 7, None),
    (transfer_out, 5, None),
    (admission_elsewhere, 5, None),
]


class TestSnapshot:
    async def test_a_job_stores_the_roster_and_the_next_reads_it(
        self,
        client: AsyncClient,
        app: FastAPI,
        session: AsyncSession,
        token: TokenFactory,
        county: dict[str, UUID],
    ) -> None:
        version = await version_of(session)
        assert version >= 1  # the import wrote the county's rows

        first = await run_job(client, app, token)

        assert await stored(session) == (version, 6)
        # the next job reads the snapshot, not the tables: one taken out of it is not counted
        roster = await IdentificationRepository(session).roster_snapshot("150602", version)
        assert roster is not None
        assert roster.height == 6
        fewer = roster.filter(pl.col("student_id") != str(county["钱多"]))
        await session.execute(
            update(RosterSnapshot)
            .where(RosterSnapshot.county_code == "150602")
            .values(payload=fieldcrypt.encrypt_bytes(snapshot.encode(fewer), snapshot.PAYLOAD))
        )
        await session.commit()
        second = await run_job(client, app, token, as_of="2026-09-02")
        assert (first["counts"]["students"], second["counts"]["students"]) == (6, 5)

    @pytest.mark.parametrize(("write", "students", "renamed"), WRITERS)
    async def test_a_roster_write_after_the_snapshot_is_seen_by_the_next_job(
        self,
        client: AsyncClient,
        app: FastAPI,
        session: AsyncSession,
        token: TokenFactory,
        county: dict[str, UUID],
        write: Writer,
        students: int,
        renamed: str | None,
    ) -> None:
        await run_job(client, app, token)
        before = await version_of(session)
        assert await stored(session) == (before, 6)

        await write(client, token, session)

        after = await version_of(session)
        assert after > before
        job = await run_job(client, app, token, as_of="2026-09-02")
        assert job["counts"]["students"] == students
        assert await stored(session) == (after, students)  # rebuilt at the new version
        roster = await IdentificationRepository(session).roster_snapshot("150602", after)
        assert roster is not None
        if renamed is not None:  # 王小芳 is no longer the list's 王芳: not auto-identified
            assert name_born_index(renamed, WANG) in roster["person_key"].to_list()
            assert job["counts"]["auto_identified"] == 1
            assert job["counts"]["name_mismatches"] == 2

    async def test_a_transfer_bumps_both_counties(
        self,
        client: AsyncClient,
        session: AsyncSession,
        token: TokenFactory,
        county: dict[str, UUID],
    ) -> None:
        dongsheng, kangbashi = await version_of(session), await version_of(session, "150603")
        await transfer_out(client, token, session)
        assert await version_of(session) == dongsheng + 1
        assert await version_of(session, "150603") == kangbashi + 1

    async def test_a_failed_import_bumps_nothing(
        self, client: AsyncClient, session: AsyncSession, token: TokenFactory
    ) -> None:
        bad = HEADER + f"周新,{NEW_CHILD[:-1]}0,{PRIMARY},小学,5,否"
        response = await client.post(
            "/v1/students/imports", content=bad.encode(), headers=writer(token, content_type=CSV)
        )
        assert response.status_code == 422
        assert await version_of(session) == 0

    async def test_an_older_snapshot_never_replaces_a_newer_one(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        repository = IdentificationRepository(session)
        one = pl.DataFrame(
            {
                "student_id": ["a"],
                "citizen_key": [citizen_id_index(NEW_CHILD)],
                "person_key": [name_born_index("周新", NEW_CHILD)],
                "school_code": [PRIMARY],
            },
            schema=ROSTER_SCHEMA,
        )
        two = pl.concat([one, one.with_columns(pl.lit("b").alias("student_id"))])
        await repository.store_roster_snapshot("150602", 5, two, snapshot.encode(two))
        await repository.store_roster_snapshot("150602", 3, one, snapshot.encode(one))
        assert await stored(session) == (5, 2)
        assert await repository.roster_snapshot("150602", 3) is None
        await repository.store_roster_snapshot("150602", 6, one, snapshot.encode(one))
        assert await stored(session) == (6, 1)


def test_the_payload_round_trips_with_its_types_and_an_empty_roster() -> None:
    roster = pl.DataFrame(
        {
            "student_id": ["0193a0e0-0000-7000-8000-000000000001", None],
            "citizen_key": [citizen_id_index(NEW_CHILD), "0" * 32],
            "person_key": [name_born_index("阿卜杜·热合曼", NEW_CHILD), "周\x1f新"],
            "school_code": [PRIMARY, PRIMARY],
        },
        schema=ROSTER_SCHEMA,
    )
    assert snapshot.decode(snapshot.encode(roster)).equals(roster)
    empty = pl.DataFrame(schema=ROSTER_SCHEMA)
    decoded = snapshot.decode(snapshot.encode(empty))
    assert (decoded.height, decoded.schema) == (0, empty.schema)
