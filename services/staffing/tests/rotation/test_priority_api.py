"""交流轮岗 over HTTP: the pool follows the county's own conditions, and seed 000's 6 years order
who goes first — "原则上在同一学校连续任教达到6年的校长和优秀骨干教师应优先进行交流轮岗"."""

from datetime import date
from typing import Any
from uuid import UUID

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from staffing.teachers.codes import LeadershipPost
from staffing.teachers.models import Teacher

from .conftest import URBAN, teacher
from .test_rotation_api import BASE, RETIREMENT, generate, seed_county

pytestmark = pytest.mark.usefixtures("schools")


class TestEligibility:
    async def test_a_county_without_its_own_condition_is_told_to_set_it(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        """The 6 years of seed 000 are a priority, so no province row makes teachers eligible:
        Dongsheng (scope 15) without a `rotation_trigger_years` of its own gets 422."""
        await seed_county(client, writer, session, eligible_after=None)
        response = await client.post(
            f"{BASE}/rotation-plans",
            json={"year": 2025, "target_count": 2, "parameters": RETIREMENT},
            headers=writer,
        )

        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("parameters.trigger_years", "rotation_trigger_years_required")
        ]

    async def test_the_request_may_give_the_years_itself(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        await seed_county(client, writer, session, eligible_after=None)
        plan = await generate(client, writer, parameters={**RETIREMENT, "trigger_years": 2})

        used = {p["key"]: (p["value"], p["source"]) for p in plan["parameters"]}
        assert used["rotation_trigger_years"] == ("2", "request")
        # on 2025-09-01 every teacher has 2 years or more: URBAN's three (10), RURAL_1's N1 (3),
        # RURAL_2's two (exactly 2)
        assert (plan["pool"]["eligible"], plan["pool"]["excluded"]) == (6, {})


class TestPriority:
    async def test_the_hand_computed_plan_names_its_priority_candidate(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        """T1, county backbone for ten years at URBAN, is the one priority candidate (seed 000's
        6 years, scope 15); the optimum T2 → RURAL_1, T1 → RURAL_2 moves him."""
        ids = await seed_county(client, writer, session)
        plan = await generate(client, writer)

        assert {(m["teacher_id"], m["is_priority"]) for m in plan["moves"]} == {
            (ids["T2"], False),
            (ids["T1"], True),
        }
        assert plan["priority"] == {"years": 6, "pool": 1, "moved": 1, "exceptions": []}
        used = {p["key"]: (p["value"], p["source"]) for p in plan["parameters"]}
        assert used["rotation_priority_years"][0] == "6"
        assert "seed 000" in used["rotation_priority_years"][1]

    async def test_the_registrys_principal_is_a_priority_candidate(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        ids = await seed_county(client, writer, session)
        principal = await session.get(Teacher, UUID(ids["T3"]))
        assert principal is not None
        principal.leadership_post = LeadershipPost.PRINCIPAL
        await session.commit()
        plan = await generate(client, writer)

        # the same optimum: T3 (本科 Chinese) adds least where it could go, and stays; a plain
        # teacher (T2) moving before him is no exception to the order
        assert {m["teacher_id"] for m in plan["moves"]} == {ids["T1"], ids["T2"]}
        assert plan["priority"] == {"years": 6, "pool": 2, "moved": 1, "exceptions": []}

    async def test_a_younger_backbone_teacher_moving_first_is_a_warning_not_a_refusal(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        """Q, county backbone with 本科 and PE for 3 years, adds 1.01 + 0.2405 + 1.1222 = 2.3727
        at RURAL_1 (T1 there: 1.01): one move, and it is Q while T1 (ten years) stays."""
        ids = await seed_county(client, writer, session, eligible_after=3)
        late = teacher(7, URBAN, joined=date(2022, 9, 1), subject="pe", backbone="county")
        session.add(late)
        await session.commit()
        plan = await generate(client, writer, target_count=1)

        assert [(m["teacher_id"], m["is_priority"]) for m in plan["moves"]] == [
            (str(late.id), False)
        ]
        assert (plan["quota_rules_met"], plan["shortfalls"]) == (True, [])
        exception = plan["priority"]["exceptions"][0]
        assert (exception["school_code"], exception["moved"], exception["staying"]) == (
            URBAN,
            [str(late.id)],
            [ids["T1"]],
        )
        assert exception["message"] in plan["warnings"]
        assert exception["message"].startswith(f"{URBAN}：1 名未满 6 年的校长或骨干教师交流")
