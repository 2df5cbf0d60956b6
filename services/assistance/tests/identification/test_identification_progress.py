"""A job watched while it runs (SQLite and PostgreSQL, committed for real: the runner's task and
the polling requests use their own connections): each phase and the counts known at that point.

The agencies (real simulator processes) answer after 0.5 s (their timeout is 1 s), so the list
refresh is seen for sure; later phases may pass between two polls, but whatever is seen comes in
pipeline order.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from assistance.app import create_app
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
from .conftest import JUNIOR, PRIMARY, add_schools, writer

JOB = {
    "county_code": "150602",
    "school_year": 2026,
    "as_of": "2026-11-23",  # the simulators' date
    "refresh_lists": True,
    "purpose": "应助尽助 学生资助认定",
    "legal_basis": "财教〔2021〕310号",
}


@pytest.fixture
def live_app(
    fresh_database_url: str,
    jwks_json: str,
    agencies_file: Path,  # noqa: F811
    keys: Path,  # noqa: F811
) -> FastAPI:
    return create_app(agency_settings(fresh_database_url, jwks_json, agencies_file, keys))


@pytest.fixture
async def live(live_client: AsyncClient, live_app: FastAPI) -> AsyncClient:
    """The live client, with the Dongsheng schools committed in the school copy."""
    async with live_app.state.sessionmaker() as session:
        await add_schools(session)
        await session.commit()
    return live_client


@pytest.fixture
def slow_agencies(simulators: dict[str, Simulator]) -> Any:  # noqa: F811
    for sim in simulators.values():
        sim.faults("slow", delay_ms=500)
    yield
    for sim in simulators.values():
        sim.faults("ok")


@pytest.mark.usefixtures("slow_agencies")
async def test_a_running_job_reports_each_phase_and_its_counts_as_it_goes(
    live: AsyncClient, token: TokenFactory
) -> None:
    sheet = "\n".join(
        [
            "姓名,身份证件号,学校标识码,学段,年级",
            f"王小明,{WANG},{PRIMARY},小学,5",
            f"张三峰,{ZHANG},{JUNIOR},初中,7",
            f"赵四,{ZHAO},{PRIMARY},小学,5",
        ]
    ).encode()
    imported = await live.post(
        "/v1/students/imports", content=sheet, headers=writer(token, content_type=CSV)
    )
    assert imported.status_code == 201
    response = await live.post("/v1/identification-jobs", json=JOB, headers=writer(token))
    assert response.status_code == 202, response.text
    url = f"/v1/identification-jobs/{response.json()['id']}"

    seen: list[tuple[str, str, dict[str, int]]] = []
    for _ in range(600):
        job = (await live.get(url, headers=writer(token))).json()
        snapshot = (job["status"], job["phase"], job["counts"])
        if not seen or seen[-1] != snapshot:
            seen.append(snapshot)
        if job["status"] in ("succeeded", "failed"):
            break
        await asyncio.sleep(0.02)

    order = ["queued", "refreshing_lists", "loading", "matching", "writing", "done"]
    phases = [phase for _, phase, _ in seen]
    assert phases == sorted(phases, key=order.index), seen  # never backwards
    assert ("running", "refreshing_lists", {}) in seen  # the slow agencies were waited for
    status, phase, counts = seen[-1]
    assert (status, phase) == ("succeeded", "done")
    assert (counts["students"], counts["auto_identified"], counts["proposed"]) == (3, 1, 1)
    for _, phase, counts in seen:  # what a phase reports: the counts known when it began
        if phase == "matching":
            assert counts == {"students": 3, "list_entries": counts["list_entries"], "awards": 0}
            assert counts["list_entries"] >= 2
        if phase == "writing":
            assert (counts["students"], counts["matched_entries"], counts["to_propose"]) == (
                3,
                2,  # 王小明 on 民政's and 残联's lists
                1,
            )
            assert counts["name_mismatches"] == 1  # 张三丰 written 张三峰 by the school
