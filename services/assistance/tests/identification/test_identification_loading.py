"""The job's columnar loading on both databases: what the rows hold comes back as they hold it —
UUIDs in canonical form, NULL as null, dates as dates, the blind indexes (never an ID or a name:
those are stored encrypted, and the scan joins on the indexes), and a value holding the SQLite
dump's separator (char 31) intact (that read falls back to rows)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from sqlalchemy import String, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.agencies.repository import AgencyRepository
from assistance.identification.repository import IdentificationRepository, frame
from assistance.students.models import Student, citizen_id_index, name_born_index
from junheng_kit.identifiers import citizen_id_from_body, student_key
from junheng_kit.testing.plugin import TEST_PSEUDONYM_KEY

from .conftest import PRIMARY, plant_list

pytestmark = pytest.mark.usefixtures("schools")


def pupil(name: str, serial: int) -> Student:
    cid = citizen_id_from_body(f"15060220150301{serial:03d}")
    return Student(
        citizen_id=cid,
        student_key=student_key(TEST_PSEUDONYM_KEY.encode(), cid),
        name=name,
        gender="male",
        birth_date=date(2015, 3, 1),
        county_code="150602",
        school_code=PRIMARY,
        level="primary",
        grade=5,
        boarding=False,
    )


@pytest.mark.parametrize("second_name", ["李四", "李\x1f四"], ids=["plain", "separator"])
async def test_roster_and_lists_come_back_as_stored(
    session: AsyncSession, second_name: str
) -> None:
    first, second = pupil("王小明", 11), pupil(second_name, 13)
    session.add_all([first, second])
    await session.flush()
    listed = await plant_list(
        session,
        "mca",
        [
            (first.citizen_id, "王小明", "dibao", date(2025, 1, 1), None),
            (second.citizen_id, second_name, "tekun", date(2025, 1, 1), date(2026, 6, 30)),
        ],
    )
    repository = IdentificationRepository(session)

    roster = (await repository.roster("150602")).sort("citizen_key")
    entries = (await repository.entries([listed])).sort("entry_id")

    keys = {
        c.id: (citizen_id_index(c.citizen_id), name_born_index(n, c.citizen_id))
        for c, n in ((first, "王小明"), (second, second_name))
    }
    assert roster.rows() == sorted(
        [(str(first.id), *keys[first.id], PRIMARY), (str(second.id), *keys[second.id], PRIMARY)],
        key=lambda row: row[1],
    )
    assert entries.schema["valid_until"] == pl.Date
    assert entries.select(
        "citizen_key", "person_key", "category", "valid_until", "list_ref"
    ).rows() == [
        (*keys[first.id], "dibao", None, str(listed.id)),
        (*keys[second.id], "tekun", date(2026, 6, 30), str(listed.id)),
    ]
    identities = await AgencyRepository(session).entry_identities(entries["entry_id"].to_list())
    assert sorted(identities.values()) == sorted(
        [(first.citizen_id, "王小明"), (second.citizen_id, second_name)]
    )
    echoed = await frame(  # a text value read as it is, the separator included
        session,
        select(literal(second_name, String)).where(Student.id == second.id),
        {"value": pl.String},
    )
    assert echoed["value"].to_list() == [second_name]


async def test_an_empty_county_is_an_empty_frame(session: AsyncSession) -> None:
    roster = await IdentificationRepository(session).roster("150699")
    assert (roster.height, list(roster.columns)) == (
        0,
        ["student_id", "citizen_key", "person_key", "school_code"],
    )
