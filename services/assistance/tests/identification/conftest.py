"""Fixtures of the roster and identification tests: a Dongsheng (150602) primary and junior
school and one school of the neighbouring county (150603) in the school copy; the county of the
应助尽助 job tests (six pupils, three agencies' lists, 赵敏's school award) and a job run."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.agencies.models import CategoryList, CategoryListEntry
from assistance.awards.awards.models import Award
from assistance.programmes.models import ProgrammeStandard
from assistance.schools.models import School
from assistance.students.models import Student
from junheng_contracts.enrollment import SchoolData
from junheng_kit.identifiers import citizen_id_from_body as cid
from junheng_kit.ids import uuid7
from junheng_kit.school_directory import apply_school_state
from junheng_kit.tabular import CSV
from junheng_kit.testing.plugin import TokenFactory, auth

PRIMARY = "2115060201"  # 东胜区第一小学
JUNIOR = "3115060202"  # 东胜区第二中学
NEIGHBOUR = "2115060301"  # a primary school of 150603
SCHOOLS = (
    (PRIMARY, "东胜区第一小学", ["primary"], "150602"),
    (JUNIOR, "东胜区第二中学", ["junior"], "150602"),
    (NEIGHBOUR, "康巴什区小学", ["primary"], "150603"),
)


async def add_schools(session: AsyncSession) -> None:
    for number, (code, name, levels, county) in enumerate(SCHOOLS, start=1):
        await apply_school_state(
            session,
            School,
            SchoolData(
                school_code=code,
                name=name,
                levels=levels,  # type: ignore[arg-type]
                county_code=county,
                longitude=109.98,
                latitude=39.82,
                planned_capacity=1200,
                version=1,
            ),
            f"event-{number}",
        )


@pytest.fixture
async def schools(session: AsyncSession) -> None:
    await add_schools(session)


def headers(
    token: TokenFactory,
    *scopes: str,
    jurisdiction: tuple[str, ...] = ("150602",),
    content_type: str | None = None,
) -> dict[str, Any]:
    extra = {"Content-Type": content_type} if content_type else {}
    return auth(token(*scopes, jurisdiction=jurisdiction), **extra)


def writer(token: TokenFactory, **kwargs: Any) -> dict[str, Any]:
    """read, write and pii: what the bureau's 资助中心 client holds."""
    return headers(token, "assistance:read", "assistance:write", "assistance:pii", **kwargs)


async def plant_list(
    session: AsyncSession,
    agency: str,
    rows: list[tuple[str, str, str, date, date | None]],
    *,
    region_code: str = "150602",
    fetched_at: datetime | None = None,
) -> CategoryList:
    """An agency's category list as its refresh stores it: (citizen_id, name, category,
    valid_from, valid_until) rows; assertion ids `<agency>-<n>`."""
    listed = CategoryList(
        id=uuid7(),
        agency=agency,
        region_code=region_code,
        list_id=f"{agency}-list-{uuid7().hex[:8]}",
        as_of=date(2026, 9, 1),
        entry_count=len(rows),
        entries_sha256="0" * 64,
        key_id="test-key",
        signature="not-checked-here",
        fetched_at=fetched_at or datetime.now(UTC),
        ledger_seq=1,
    )
    session.add(listed)
    await session.flush()
    session.add_all(
        CategoryListEntry(
            list_ref=listed.id,
            citizen_id=citizen_id,
            name=name,
            category=category,
            grade=None,
            valid_from=valid_from,
            valid_until=valid_until,
            assertion_id=f"{agency}-{number}",
        )
        for number, (citizen_id, name, category, valid_from, valid_until) in enumerate(rows, 1)
    )
    await session.flush()
    return listed


# The county of the 应助尽助 job tests (test_identification_jobs, test_roster_encryption, …)
WANG = cid("15060220150301002")  # 王芳: 低保 (mca) → auto-identified
LI = cid("15060220120712001")  # 李强: 残联 lists him as 李刚 → name mismatch
ZHAO = cid("15060220160101004")  # 赵敏: school award on 低保, no longer on the list → lost
SUN = cid("15060220140901008")  # 孙悦: 乡村振兴 lists 孙悦 born the same day under another ID
SUN_ELSEWHERE = cid("15062120140901006")
QIAN = cid("15060220150505013")  # 钱多: on no list, no award
ABDU = cid("15060220110505025")  # 阿卜杜·热合曼: 孤儿, the list writes the dot as •
AS_OF = date(2026, 9, 1)
ROSTER = "\n".join(
    [
        "姓名,身份证件号,学校标识码,学段,年级,是否寄宿生",
        f"王芳,{WANG},{PRIMARY},小学,5,是",
        f"李强,{LI},{JUNIOR},初中,8,否",
        f"赵敏,{ZHAO},{PRIMARY},小学,3,否",
        f"孙悦,{SUN},{JUNIOR},初中,7,否",
        f"钱多,{QIAN},{PRIMARY},小学,4,否",
        f"阿卜杜·热合曼,{ABDU},{JUNIOR},初中,9,否",
    ]
).encode()
JOB = {
    "county_code": "150602",
    "school_year": 2026,
    "as_of": "2026-09-01",
    "purpose": "应助尽助 学生资助认定",
    "legal_basis": "财教〔2021〕310号; 教财〔2018〕16号",
}


async def plant_county_lists(session: AsyncSession) -> None:
    """The three agencies' lists: 王芳, 赵敏 (ended), 阿卜杜 (another dot), 李强 as 李刚, 孙悦
    under another ID."""
    await plant_list(
        session,
        "mca",
        [
            (WANG, "王芳", "dibao", date(2026, 1, 1), None),
            (ZHAO, "赵敏", "dibao", date(2024, 1, 1), date(2026, 6, 30)),
            (ABDU, "阿卜杜•热合曼", "orphan", date(2020, 1, 1), None),
        ],
    )
    await plant_list(session, "cdpf", [(LI, "李刚", "disabled_student", date(2025, 3, 1), None)])
    await plant_list(
        session, "nrra", [(SUN_ELSEWHERE, "孙悦", "monitored_relapse", date(2026, 1, 1), None)]
    )


async def seed_county_in(app: FastAPI, client: AsyncClient, headers: dict[str, Any]) -> None:
    """An app of its own (its own database): the schools, the roster imported over HTTP and the
    three lists, each committed; no award."""
    async with app.state.sessionmaker() as session:
        await add_schools(session)
        await session.commit()
    imported = await client.post(
        "/v1/students/imports", content=ROSTER, headers={**headers, "content-type": CSV}
    )
    assert imported.status_code == 201, imported.text
    async with app.state.sessionmaker() as session:
        await plant_county_lists(session)
        await session.commit()


async def students_by_name(session: AsyncSession) -> dict[str, UUID]:
    rows = await session.execute(select(Student.name, Student.id))
    return {name: student_id for name, student_id in rows}


@pytest.fixture
async def county(
    client: AsyncClient, session: AsyncSession, token: TokenFactory
) -> dict[str, UUID]:
    """The six pupils, three agencies' lists and 赵敏's school award on 低保."""
    response = await client.post(
        "/v1/students/imports", content=ROSTER, headers=writer(token, content_type=CSV)
    )
    assert response.status_code == 201
    await plant_county_lists(session)
    ids = await students_by_name(session)
    standard = await session.scalar(
        select(ProgrammeStandard.id).where(ProgrammeStandard.programme_code == "living_subsidy")
    )
    session.add(
        Award(
            student_id=ids["赵敏"],
            county_code="150602",
            school_code=PRIMARY,
            programme_code="living_subsidy",
            school_year=2026,
            category="dibao",
            level="primary",
            boarding=False,
            amount_yuan=Decimal("500.00"),
            standard_id=standard,
            source="school",
            evidence=[],
            status="approved",
            created_by="school",
        )
    )
    await session.flush()
    return ids


async def run_job(
    client: AsyncClient, app: FastAPI, token: TokenFactory, **changes: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/identification-jobs", json={**JOB, **changes}, headers=writer(token)
    )
    assert response.status_code == 202, response.text
    job_id = UUID(response.json()["id"])
    await app.state.identification_jobs.wait(job_id)
    done = await client.get(f"/v1/identification-jobs/{job_id}", headers=writer(token))
    return dict(done.json())
