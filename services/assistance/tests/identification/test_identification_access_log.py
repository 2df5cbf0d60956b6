"""Issue 18 §3: a list match is a lookup of the child. When a 应助尽助 job compares the roster
with an agency's list (乡村振兴 here), every child the list matched finds it in its access log
(查询记录): the agency, the list, the job's purpose and legal basis, who ran it, the result — the
ledger still chained. And the lookup of a child's aid by citizen ID, behind `assistance:pii`."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.identifiers import citizen_id_from_body as cid
from junheng_kit.tabular import CSV
from junheng_kit.testing.plugin import TokenFactory

from .conftest import JOB, PRIMARY, headers, plant_list, run_job, students_by_name, writer

pytestmark = pytest.mark.usefixtures("schools")

QIAN = cid("15060220150505013")  # 钱多: on the 乡村振兴 list, ID and name agree
SUN = cid("15060220140901008")  # 孙悦: listed under another ID (a partial match)
SUN_ELSEWHERE = cid("15062120140901006")
ZHOU = cid("15060220150301002")  # 周平: on no list
ROSTER = "\n".join(
    [
        "姓名,身份证件号,学校标识码,学段,年级,是否寄宿生",
        f"钱多,{QIAN},{PRIMARY},小学,4,否",
        f"孙悦,{SUN},{PRIMARY},小学,6,否",
        f"周平,{ZHOU},{PRIMARY},小学,5,是",
    ]
).encode()


@pytest.fixture
async def county(
    client: AsyncClient, session: AsyncSession, token: TokenFactory
) -> tuple[dict[str, UUID], str]:
    response = await client.post(
        "/v1/students/imports", content=ROSTER, headers=writer(token, content_type=CSV)
    )
    assert response.status_code == 201, response.text
    listed = await plant_list(
        session,
        "nrra",
        [
            (QIAN, "钱多", "monitored_relapse", date(2026, 1, 1), None),
            (SUN_ELSEWHERE, "孙悦", "tuopin", date(2026, 1, 1), None),
        ],
    )
    return await students_by_name(session), str(listed.id)


async def test_a_list_match_is_in_the_childs_access_log(
    client: AsyncClient,
    app: FastAPI,
    token: TokenFactory,
    county: tuple[dict[str, UUID], str],
) -> None:
    ids, list_ref = county
    job = await run_job(client, app, token)
    assert job["status"] == "succeeded", job
    reader = headers(token, "assistance:read")

    log = await client.get(f"/v1/students/{ids['钱多']}/access-log", headers=reader)
    assert log.status_code == 200, log.text
    [entry] = log.json()["entries"]
    assert (entry["kind"], entry["agency"], entry["agency_name"], entry["outcome"]) == (
        "list_match",
        "nrra",
        "乡村振兴",
        "matched",
    )
    assert (entry["purpose"], entry["legal_basis"], entry["answer_id"]) == (
        JOB["purpose"],
        JOB["legal_basis"],
        list_ref,
    )
    assert entry["actor"] == "test-client"

    partial = await client.get(f"/v1/students/{ids['孙悦']}/access-log", headers=reader)
    assert [(e["kind"], e["outcome"]) for e in partial.json()["entries"]] == [
        ("list_match", "partial_match")
    ]
    unlisted = await client.get(f"/v1/students/{ids['周平']}/access-log", headers=reader)
    assert unlisted.json()["entries"] == []

    by_id = await client.post(
        "/v1/access-log/query", json={"citizen_id": QIAN}, headers=writer(token)
    )
    assert [e["seq"] for e in by_id.json()["entries"]] == [entry["seq"]]
    chain = await client.get("/v1/ledger/verify", headers=reader)
    assert chain.json()["intact"] is True


async def test_a_second_job_is_a_second_lookup(
    client: AsyncClient,
    app: FastAPI,
    token: TokenFactory,
    county: tuple[dict[str, UUID], str],
) -> None:
    ids, _ = county
    first = await run_job(client, app, token)
    second = await run_job(client, app, token)
    log = await client.get(
        f"/v1/students/{ids['钱多']}/access-log", headers=headers(token, "assistance:read")
    )
    assert [e["kind"] for e in log.json()["entries"]] == ["list_match", "list_match"]
    assert first["id"] != second["id"]


class TestAidByCitizenId:
    async def test_the_lookup_needs_assistance_pii(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        refused = await client.post(
            "/v1/students/search",
            json={"citizen_id": QIAN},
            headers=headers(token, "assistance:read"),
        )
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["rule"] == "scope_required"

    async def test_a_childs_roster_row_and_awards_are_found(
        self,
        client: AsyncClient,
        app: FastAPI,
        token: TokenFactory,
        county: tuple[dict[str, UUID], str],
    ) -> None:
        ids, _ = county
        await run_job(client, app, token)
        pii = headers(token, "assistance:read", "assistance:pii")
        found = await client.post("/v1/students/search", json={"citizen_id": QIAN}, headers=pii)
        assert found.status_code == 200, found.text
        body = found.json()
        assert (body["student"]["id"], body["student"]["citizen_id"]) == (str(ids["钱多"]), QIAN)
        assert [(a["programme_code"], a["category"]) for a in body["awards"]] == [
            ("living_subsidy", "monitored_relapse")
        ]
        elsewhere = headers(token, "assistance:read", "assistance:pii", jurisdiction=("150603",))
        hidden = await client.post(
            "/v1/students/search", json={"citizen_id": QIAN}, headers=elsewhere
        )
        assert hidden.json() == {"student": None, "awards": []}
