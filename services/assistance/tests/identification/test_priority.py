"""农村留守儿童 and the priority of seed 000 on SQLite and PostgreSQL: 民政's left-behind list
makes nobody eligible for aid by itself, and marks who a programme serves first.

Seed 000 item 12: "完善孤儿、事实无人抚养儿童、农村留守儿童、困境儿童精准摸排机制,加强教育保障和关爱
保护,优先保障寄宿、交通、营养需求" — the catalogue's lodging subsidy (两免两补, Inner Mongolia)
serves those four categories first (migration a0009).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.awards.models import Award
from junheng_kit.identifiers import citizen_id_from_body as cid
from junheng_kit.tabular import CSV
from junheng_kit.testing.plugin import TokenFactory

from .conftest import JUNIOR, PRIMARY, headers, plant_list, run_job, students_by_name, writer

pytestmark = pytest.mark.usefixtures("schools")

WANG = cid("15060220150301002")  # 王芳: 低保 — eligible, not a priority category
LIU = cid("15060220140402011")  # 刘洋: 农村留守儿童 only
ZHOU = cid("15060220130603017")  # 周宁: 农村留守儿童, the list writes 周凝 (listed by ID)
QIAN = cid("15060220150505013")  # 钱多: on no list
ROSTER = "\n".join(
    [
        "姓名,身份证件号,学校标识码,学段,年级,是否寄宿生",
        f"王芳,{WANG},{PRIMARY},小学,5,是",
        f"刘洋,{LIU},{PRIMARY},小学,6,是",
        f"周宁,{ZHOU},{JUNIOR},初中,7,是",
        f"钱多,{QIAN},{PRIMARY},小学,5,是",
    ]
).encode()
LODGING_STANDARD = {
    "scope_code": "150602",
    "effective_from": "2025-09-01",
    "rates": [{"boarding": True, "amount_yuan": "800"}],
    "source": "东胜区寄宿生住宿费补助标准 (test)",
}


async def lists(session: AsyncSession, *, liu_listed: bool = True) -> None:
    """民政's list: 王芳 低保; 刘洋 (unless `liu_listed` is False) and 周宁 left behind."""
    await plant_list(
        session,
        "mca",
        [
            (WANG, "王芳", "dibao", date(2026, 1, 1), None),
            *([(LIU, "刘洋", "left_behind_child", date(2025, 3, 1), None)] if liu_listed else []),
            (ZHOU, "周凝", "left_behind_child", date(2025, 3, 1), None),
        ],
    )


@pytest.fixture
async def county(
    client: AsyncClient, session: AsyncSession, token: TokenFactory
) -> dict[str, UUID]:
    response = await client.post(
        "/v1/students/imports", content=ROSTER, headers=writer(token, content_type=CSV)
    )
    assert response.status_code == 201, response.text
    await lists(session)
    return await students_by_name(session)


async def apply_for_lodging(
    client: AsyncClient, token: TokenFactory, student_id: UUID
) -> dict[str, Any]:
    response = await client.post(
        "/v1/awards",
        json={
            "student_id": str(student_id),
            "programme_code": "lodging_subsidy",
            "school_year": 2026,
            "amount_yuan": "800.00",
        },
        headers=writer(token),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


class TestLeftBehindIsNoClaimToAid:
    async def test_a_pupil_listed_only_as_left_behind_is_not_eligible_nor_proposed(
        self, client: AsyncClient, app: FastAPI, token: TokenFactory, county: dict[str, UUID]
    ) -> None:
        """Four boarders; 民政 lists 王芳 (低保), 刘洋 and 周宁 (农村留守儿童, 周宁 as 周凝). The
        living subsidy (两免一补) is for 家庭经济困难 pupils: only 王芳 is proposed, and coverage
        counts her alone — 1 auto-identified of 1 eligible (counting the left-behind pupils
        would give 2 of 3)."""
        job = await run_job(client, app, token)
        counts = job["counts"]
        assert (counts["list_entries"], counts["name_mismatches"]) == (3, 1)
        assert (counts["auto_identified"], counts["eligible"], counts["proposed"]) == (1, 1, 1)
        assert (counts["awarded"], counts["priority_awards"]) == (1, 0)
        coverage = await client.get(
            "/v1/coverage",
            params={"county_code": "150602", "school_year": 2026},
            headers=writer(token),
        )
        assert (coverage.json()["eligible"], coverage.json()["gap"]) == (1, 0)
        assert coverage.json()["coverage"] == 1.0

    async def test_the_living_subsidy_is_not_open_to_a_left_behind_category(
        self, client: AsyncClient, token: TokenFactory, county: dict[str, UUID]
    ) -> None:
        response = await client.post(
            "/v1/awards",
            json={
                "student_id": str(county["刘洋"]),
                "programme_code": "living_subsidy",
                "school_year": 2026,
                "category": "left_behind_child",
                "amount_yuan": "1000.00",
            },
            headers=writer(token),
        )
        assert response.status_code == 422, response.text
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("category", "category_eligible")
        ]


class TestServedFirst:
    async def test_the_job_marks_the_lodging_awards_of_pupils_listed_in_a_priority_category(
        self,
        client: AsyncClient,
        app: FastAPI,
        session: AsyncSession,
        token: TokenFactory,
        county: dict[str, UUID],
    ) -> None:
        """Lodging subsidies for 王芳, 刘洋, 周宁 and 钱多: 刘洋 and 周宁 (listed as left behind by
        their own IDs, 周宁 under another name) are served first; 王芳's 低保 is no priority
        category, 钱多 is on no list. Next job, 民政 no longer lists 刘洋: only 周宁 stays."""
        published = await client.put(
            "/v1/programmes/lodging_subsidy/standards",
            json=LODGING_STANDARD,
            headers=writer(token),
        )
        assert published.status_code == 201, published.text
        awards = {
            name: (await apply_for_lodging(client, token, county[name]))["id"]
            for name in ("王芳", "刘洋", "周宁", "钱多")
        }
        assert (await client.get(f"/v1/awards/{awards['刘洋']}", headers=writer(token))).json()[
            "priority"
        ] is False  # until a job looks at the lists

        job = await run_job(client, app, token)
        assert job["counts"]["priority_awards"] == 2
        served_first = await client.get(
            "/v1/awards",
            params={"programme_code": "lodging_subsidy", "priority": "true"},
            headers=writer(token),
        )
        assert served_first.status_code == 200, served_first.text
        assert sorted(a["id"] for a in served_first.json()["items"]) == sorted(
            [awards["刘洋"], awards["周宁"]]
        )
        rest = await client.get(
            "/v1/awards",
            params={"programme_code": "lodging_subsidy", "priority": "false"},
            headers=writer(token),
        )
        assert sorted(a["id"] for a in rest.json()["items"]) == sorted(
            [awards["王芳"], awards["钱多"]]
        )

        await lists(session, liu_listed=False)  # 民政's newer list
        again = await run_job(client, app, token, as_of="2026-09-02")
        assert again["counts"]["priority_awards"] == 1
        flags = dict(
            (await session.execute(select(Award.id, Award.priority).where(Award.priority))).all()
        )
        assert flags == {UUID(awards["周宁"]): True}

    async def test_who_is_served_first_is_shown_and_filtered_only_with_pii(
        self, client: AsyncClient, app: FastAPI, token: TokenFactory, county: dict[str, UUID]
    ) -> None:
        """Priority tells that a child is an orphan, left behind or in hardship: like the
        category, it needs `assistance:pii`."""
        await client.put(
            "/v1/programmes/lodging_subsidy/standards",
            json=LODGING_STANDARD,
            headers=writer(token),
        )
        award = await apply_for_lodging(client, token, county["刘洋"])
        await run_job(client, app, token)
        plain = headers(token, "assistance:read")
        shown = await client.get(f"/v1/awards/{award['id']}", headers=plain)
        assert (shown.json()["priority"], shown.json()["category"]) == (None, None)
        refused = await client.get("/v1/awards", params={"priority": "true"}, headers=plain)
        assert refused.status_code == 403, refused.text
        assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [
            ("query.priority", "scope_required")
        ]
        full = await client.get(f"/v1/awards/{award['id']}", headers=writer(token))
        assert full.json()["priority"] is True


class TestProgrammePriority:
    async def test_the_catalogues_lodging_subsidy_serves_the_four_categories_of_seed_000(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        """a0009: a new version of lodging_subsidy, effective from the seeded version's date
        (2019-09-01), with seed 000's four categories; the earlier version had none."""
        versions = await client.get(
            "/v1/programmes/lodging_subsidy/versions", headers=writer(token)
        )
        assert [(v["version"], v["priority_categories"]) for v in versions.json()["items"]] == [
            (1, []),
            (2, ["orphan", "de_facto_unsupported", "left_behind_child", "hardship_child"]),
        ]
        latest = versions.json()["items"][-1]
        assert (latest["effective_from"], latest["changed_by"]) == ("2019-09-01", "seed:a0009")
        assert "seed 000 item 12" in latest["source"]
        on = await client.get(
            "/v1/programmes/lodging_subsidy", params={"on": "2026-09-01"}, headers=writer(token)
        )
        assert on.json()["version"] == 2

    async def test_a_county_transport_programme_names_its_priority_categories(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        body = {
            "name": "东胜区寄宿生交通补助",
            "scope_code": "150602",
            "priority_categories": ["orphan", "left_behind_child"],
            "effective_from": "2026-09-01",
            "source": "东胜区 test; seed 000 item 12 优先保障交通",
        }
        created = await client.put(
            "/v1/programmes/dongsheng_transport", json=body, headers=writer(token)
        )
        assert created.status_code == 200, created.text
        assert created.json()["priority_categories"] == ["orphan", "left_behind_child"]
        bad = await client.put(
            "/v1/programmes/dongsheng_transport",
            json=body | {"priority_categories": ["orphan", "orphan"]},
            headers=writer(token),
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["rule"] == "categories_unique"
