"""A job that refreshes the lists from real agency simulator processes (民政, 残联), then one with
民政 down: the job keeps 民政's last list and says so (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.app import create_app
from assistance.awards.awards.models import Award
from assistance.students.models import Student, citizen_id_index
from junheng_kit.tabular import CSV
from junheng_kit.testing.plugin import TokenFactory

from ..agencies.conftest import (  # noqa: TID252 - the agency tests' simulators and keys
    WANG,
    ZHANG,
    ZHAO,
    Simulator,
    agencies_file,  # noqa: F401 - fixture
    agency_settings,
    keys,  # noqa: F401 - fixture
    simulators,  # noqa: F401 - fixture
)
from .conftest import JUNIOR, PRIMARY, writer

pytestmark = pytest.mark.usefixtures("schools")

JOB = {
    "county_code": "150602",
    "school_year": 2026,
    "as_of": "2026-11-23",  # the simulators' date
    "refresh_lists": True,
    "purpose": "应助尽助 学生资助认定",
    "legal_basis": "财教〔2021〕310号",
}


@pytest.fixture
def app(database_url: str, jwks_json: str, agencies_file: Path, keys: Path) -> FastAPI:  # noqa: F811
    return create_app(agency_settings(database_url, jwks_json, agencies_file, keys))


@pytest.fixture(autouse=True)
def healthy(simulators: dict[str, Simulator]) -> Any:  # noqa: F811
    for sim in simulators.values():
        sim.faults("ok")
    yield
    for sim in simulators.values():
        sim.faults("ok")


async def run_job(client: AsyncClient, app: FastAPI, token: TokenFactory) -> dict[str, Any]:
    response = await client.post("/v1/identification-jobs", json=JOB, headers=writer(token))
    assert response.status_code == 202, response.text
    await app.state.identification_jobs.wait(UUID(response.json()["id"]))
    done = await client.get(
        f"/v1/identification-jobs/{response.json()['id']}", headers=writer(token)
    )
    return dict(done.json())


async def test_lists_fetched_from_the_agencies_then_kept_when_one_is_down(
    client: AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    token: TokenFactory,
    simulators: dict[str, Simulator],  # noqa: F811
) -> None:
    sheet = "\n".join(
        [
            "姓名,身份证件号,学校标识码,学段,年级",
            f"王小明,{WANG},{PRIMARY},小学,5",
            f"张三峰,{ZHANG},{JUNIOR},初中,7",
            f"赵四,{ZHAO},{PRIMARY},小学,5",
        ]
    ).encode()
    imported = await client.post(
        "/v1/students/imports", content=sheet, headers=writer(token, content_type=CSV)
    )
    assert imported.status_code == 201

    first = await run_job(client, app, token)
    simulators["mca"].faults("down")
    second = await run_job(client, app, token)

    assert first["status"] == "succeeded"
    assert {(e["agency"], e["status"]) for e in first["lists"]} == {
        ("mca", "fetched"),
        ("cdpf", "fetched"),
    }
    # 王小明: 低保 (mca) and 残疾学生 (cdpf); 张三丰 held as orphan, the school writes 张三峰
    counts = first["counts"]
    assert (counts["students"], counts["auto_identified"], counts["name_mismatches"]) == (3, 1, 1)
    assert (counts["proposed"], counts["eligible"], counts["awarded"]) == (1, 2, 1)
    wang = await session.scalar(
        select(Student.id).where(Student.citizen_id_index == citizen_id_index(WANG))
    )
    award = (
        await session.execute(
            select(Award.category, Award.evidence).where(Award.student_id == wang)
        )
    ).one()
    assert award.category == "dibao"  # 低保 before 残疾学生 in the category order
    assert len(award.evidence) == 2
    mca_list = next(e["list_ref"] for e in first["lists"] if e["agency"] == "mca")
    assert award.evidence[1] == mca_list

    assert second["status"] == "succeeded"
    assert {(e["agency"], e["status"]) for e in second["lists"]} == {
        ("mca", "kept_last_agency_unavailable"),
        ("cdpf", "fetched"),
    }
    assert next(e["list_ref"] for e in second["lists"] if e["agency"] == "mca") == mca_list
    assert second["counts"]["auto_identified"] == 1
