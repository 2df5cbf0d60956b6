"""交流轮岗 over HTTP on both databases: a plan worked out by hand, the workflow, execution
through the registry, adherence, approval refused on missed shares, rural service, titles."""

from datetime import date
from typing import Any
from uuid import UUID

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.tables import OutboxMessage
from staffing.teachers.models import RuralServicePeriod, Teacher

from .conftest import DONGSHENG, RURAL_1, RURAL_2, URBAN, teacher

pytestmark = pytest.mark.usefixtures("schools")
BASE = f"/v1/counties/{DONGSHENG}"
RETIREMENT = {"retirement_window_years": 5, "retirement_age_male": 60, "retirement_age_female": 55}


ELIGIBLE_AFTER = "东胜区教育局交流轮岗实施方案（测试值：本县的交流条件）"


async def set_eligibility(client: AsyncClient, writer: dict[str, Any], years: int) -> None:
    """The county's own condition for the pool: years at one school (no source gives one)."""
    response = await client.post(
        f"{BASE}/policy-parameters",
        json={
            "key": "rotation_trigger_years",
            "value": str(years),
            "effective_from": "2020-01-01",
            "source": ELIGIBLE_AFTER,
        },
        headers=writer,
    )
    assert response.status_code == 201, response.text


async def seed_county(
    client: AsyncClient,
    writer: dict[str, Any],
    session: AsyncSession,
    *,
    free: int = 1,
    eligible_after: int | None = 5,
) -> dict[str, str]:
    """URBAN (100 pupils): T1 county backbone with 中专, T2 本科 PE, T3 本科 Chinese — ten years
    there, so eligible under the county's 5 years; per 100 pupils 2 / 1 / 1. RURAL_1 (100
    pupils): one 高中 teacher since 2022: 0 / 0 / 0. RURAL_2 (200 pupils): two 本科 since 2023,
    one county backbone, one PE: 1 / 0.5 / 0.5. Each rural school has `free` approved posts
    beyond its staff, URBAN none."""
    staff = {
        "T1": teacher(1, URBAN, degree="secondary_vocational", backbone="county", title="senior"),
        "T2": teacher(2, URBAN, subject="pe", title="senior"),
        "T3": teacher(3, URBAN),
        "N1": teacher(4, RURAL_1, joined=date(2022, 9, 1), degree="high_school_or_below"),
        "N2": teacher(5, RURAL_2, joined=date(2023, 9, 1), backbone="county"),
        "N3": teacher(6, RURAL_2, joined=date(2023, 9, 1), subject="music"),
    }
    session.add_all(staff.values())
    await session.commit()
    response = await client.put(
        f"{BASE}/enrolment",
        json={
            "year": 2025,
            "schools": [
                {"school_code": URBAN, "area": "urban", "primary_pupils": 100},
                {"school_code": RURAL_1, "area": "rural", "primary_pupils": 100},
                {"school_code": RURAL_2, "area": "rural", "primary_pupils": 200},
            ],
        },
        headers=writer,
    )
    assert response.status_code == 204, response.text
    response = await client.post(
        f"{BASE}/quota-ledger",
        json={
            "year": 2025,
            "kind": "approval",
            "reason": "2025学年编制核定",
            "entries": [
                {"school_code": URBAN, "approved_posts": 3},
                {"school_code": RURAL_1, "approved_posts": 1 + free},
                {"school_code": RURAL_2, "approved_posts": 2 + free},
            ],
        },
        headers=writer,
    )
    assert response.status_code == 201, response.text
    if eligible_after is not None:
        await set_eligibility(client, writer, eligible_after)
    return {name: str(t.id) for name, t in staff.items()}


async def generate(client: AsyncClient, writer: dict[str, Any], **body: Any) -> Any:
    response = await client.post(
        f"{BASE}/rotation-plans",
        json={"year": 2025, "target_count": 2, "parameters": RETIREMENT, **body},
        headers=writer,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def confirm_all(client: AsyncClient, writer: dict[str, Any], plan: Any) -> Any:
    body = plan
    for code in plan["awaiting_confirmation"]:
        response = await client.post(
            f"/v1/rotation-plans/{plan['id']}/confirmations",
            json={"school_code": code, "signatory": "校长"},
            headers=writer,
        )
        assert response.status_code == 201, response.text
        body = response.json()
    return body


class TestGeneratePlan:
    async def test_the_plan_is_the_hand_computed_optimum(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        ids = await seed_county(client, writer, session)
        plan = await generate(client, writer)

        # gains (rules docstring): T1 → R1 1.01, → R2 0.255; T2 → R1 1.3627, → R2 0.3444;
        # T3 → R1 0.2405, → R2 0.0919. One free post per rural school, two moves, ≥ 1 backbone:
        # T2 → R1 + T1 → R2 = 1.6177 beats T1 → R1 + T2 → R2 = 1.3544.
        assert {(m["teacher_id"], m["to_school"]) for m in plan["moves"]} == {
            (ids["T2"], RURAL_1),
            (ids["T1"], RURAL_2),
        }
        assert plan["objective"] == pytest.approx(1.617698, abs=1e-5)
        assert plan["pool"] == {
            "eligible": 3,
            "excluded": {"under_trigger_years": 3},
            "candidates_with_destination": 3,
        }
        assert (plan["required_rotated"], plan["required_backbone"], plan["rotated"]) == (1, 1, 2)
        assert (plan["status"], plan["quota_rules_met"], plan["shortfalls"]) == ("draft", True, [])
        assert plan["awaiting_confirmation"] == sorted([URBAN, RURAL_1, RURAL_2])

    async def test_each_move_shows_the_receiving_schools_before_and_after(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        ids = await seed_county(client, writer, session)
        plan = await generate(client, writer)
        move = next(m for m in plan["moves"] if m["teacher_id"] == ids["T2"])

        assert move["why"]["direction"] == "urban→rural"
        assert move["why"]["adds"] == ["senior_degree_teachers_per_100", "pe_arts_teachers_per_100"]
        assert [
            (c["key"], c["threshold"], c["before"], c["after"])
            for c in move["why"]["receiving_indicators"]
        ] == [
            ("senior_degree_teachers_per_100", "4.2", "0.0000", "1.0000"),
            ("backbone_teachers_per_100", "1", "0.0000", "0.0000"),
            ("pe_arts_teachers_per_100", "0.9", "0.0000", "1.0000"),
        ]
        used = {p["key"]: (p["value"], p["source"]) for p in plan["parameters"]}
        assert used["rotation_trigger_years"] == ("5", ELIGIBLE_AFTER)
        assert used["rotation_retirement_window_years"] == ("5", "request")

    async def test_missing_retirement_parameters_are_named(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        await seed_county(client, writer, session)
        response = await client.post(f"{BASE}/rotation-plans", json={"year": 2025}, headers=writer)

        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("parameters.retirement_window_years", "rotation_retirement_window_years_required"),
            ("parameters.retirement_age_male", "retirement_age_required"),
            ("parameters.retirement_age_female", "retirement_age_required"),
        ]

    async def test_a_fixed_move_into_a_full_school_is_refused_unless_pooled(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        ids = await seed_county(client, writer, session, free=0)
        fixed = {"teacher_id": ids["T3"], "to_school_code": RURAL_1}
        response = await client.post(
            f"{BASE}/rotation-plans",
            json={"year": 2025, "parameters": RETIREMENT, "fixed_moves": [fixed]},
            headers=writer,
        )
        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("fixed_moves", "staff_quota_headroom")
        ]

        pooled = {**fixed, "pooled": True, "pooling_reference": "东教发〔2025〕9号"}
        plan = await generate(client, writer, target_count=None, fixed_moves=[pooled])
        assert [(m["teacher_id"], m["to_school"], m["pooled"]) for m in plan["moves"]] == [
            (ids["T3"], RURAL_1, True)
        ]

    async def test_unknown_subject_codes_are_named(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        await seed_county(client, writer, session)
        response = await client.post(
            f"{BASE}/rotation-plans",
            json={"year": 2025, "parameters": RETIREMENT, "subject_needs": {RURAL_1: {"书法": 1}}},
            headers=writer,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == f"subject_needs.{RURAL_1}.书法"
        assert response.json()["errors"][0]["rule"] == "subject_code"


class TestWorkflow:
    async def test_confirm_approve_execute_with_deviations_and_report(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        ids = await seed_county(client, writer, session)
        plan = await generate(client, writer)
        too_early = await client.post(
            f"/v1/rotation-plans/{plan['id']}/approval", json={}, headers=writer
        )
        assert too_early.status_code == 409
        assert (await confirm_all(client, writer, plan))["status"] == "confirmed"

        approved = await client.post(
            f"/v1/rotation-plans/{plan['id']}/approval", json={}, headers=writer
        )
        assert approved.json()["status"] == "approved"
        subjects = list(await session.scalars(select(OutboxMessage.subject)))
        assert subjects.count("staffing.rotation_plan.approved") == 1

        executed = await client.post(
            f"/v1/rotation-plans/{plan['id']}/execution",
            json={
                "moved_on": "2025-09-01",
                "moves": [
                    {"teacher_id": ids["T1"], "to_school_code": RURAL_2},  # as planned
                    {"teacher_id": ids["T2"], "to_school_code": RURAL_2},  # planned to R1
                    {"teacher_id": ids["T3"], "to_school_code": RURAL_1},  # not in the plan
                ],
            },
            headers=writer,
        )
        assert executed.status_code == 200, executed.text
        assert executed.json()["status"] == "executed"
        moved = await session.scalar(
            select(Teacher.school_code).where(Teacher.id == UUID(ids["T2"]))
        )
        assert moved == RURAL_2

        report = (
            await client.get(f"/v1/rotation-plans/{plan['id']}/adherence", headers=writer)
        ).json()
        assert (report["planned"], report["executed"], report["as_planned"]) == (2, 3, 1)
        assert report["adherence_rate"] == "0.5000"
        assert report["deviations"] == [
            {
                "teacher_id": ids["T2"],
                "kind": "other_school",
                "planned_to": RURAL_1,
                "executed_to": RURAL_2,
            },
            {
                "teacher_id": ids["T3"],
                "kind": "unplanned",
                "planned_to": None,
                "executed_to": RURAL_1,
            },
        ]
        assert report["quota_breaches"] == [
            {"school_code": RURAL_2, "net_arrivals": 2, "free_posts": 1}
        ]

    async def test_a_plan_missing_the_10_percent_rule_needs_a_justification(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        await seed_county(client, writer, session, free=0)
        plan = await generate(client, writer)

        assert (plan["rotated"], plan["quota_rules_met"], plan["status"]) == (0, False, "confirmed")
        refused = await client.post(
            f"/v1/rotation-plans/{plan['id']}/approval", json={}, headers=writer
        )
        assert refused.status_code == 422
        assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [
            ("justification", "rotation_min_share")
        ]

        approved = await client.post(
            f"/v1/rotation-plans/{plan['id']}/approval",
            json={"justification": "乡村学校无空编，待2026年统筹后补交流"},
            headers=writer,
        )
        assert approved.status_code == 200
        assert approved.json()["justification"] == "乡村学校无空编，待2026年统筹后补交流"

    async def test_a_school_outside_the_plan_cannot_confirm(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        await seed_county(client, writer, session)
        plan = await generate(client, writer)
        response = await client.post(
            f"/v1/rotation-plans/{plan['id']}/confirmations",
            json={"school_code": "2121030201", "signatory": "校长"},
            headers=writer,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "school_in_plan"

    async def test_another_countys_client_does_not_see_the_plan(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession, token: Any
    ) -> None:
        await seed_county(client, writer, session)
        plan = await generate(client, writer)
        response = await client.get(
            f"/v1/rotation-plans/{plan['id']}",
            headers={"Authorization": f"Bearer {token('staffing:read', jurisdiction=('2103',))}"},
        )
        assert response.status_code == 404


class TestRuralServiceAndTitles:
    async def test_one_year_of_rural_service_meets_the_senior_title_rule(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        ids = await seed_county(client, writer, session)
        session.add(
            RuralServicePeriod(
                teacher_id=UUID(ids["T1"]),
                school_name="某村小",
                started_on=date(2010, 9, 1),
                ended_on=date(2011, 9, 1),
            )
        )
        await session.commit()

        response = await client.get(
            f"{BASE}/rural-service", params={"on": "2025-09-01"}, headers=writer
        )
        body = response.json()
        found = {i["teacher_id"]: i for i in body["items"]}

        assert (body["senior_title_rural_years"], body["principal_priority_rural_years"]) == (
            "1",
            "3",
        )
        assert (
            found[ids["T1"]]["rural_service_days"],
            found[ids["T1"]]["senior_title_eligible"],
            found[ids["T1"]]["principal_priority"],
        ) == (365, True, False)
        assert found[ids["T3"]]["senior_title_eligible"] is False

    async def test_dongsheng_titles_against_3_4_3(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        await seed_county(client, writer, session)
        response = await client.get(
            f"{BASE}/title-structure", params={"on": "2025-09-01"}, headers=writer
        )
        urban = next(i for i in response.json()["items"] if i["school_code"] == URBAN)

        # two 高级 and one 一级 of three: 0.6667 senior against a 0.3 target
        assert urban["counts"] == {"senior": 2, "intermediate": 1, "junior": 0}
        assert urban["target_ratio"] == "3:4:3"
        assert urban["shares"]["senior"] == "0.6667"
        assert urban["over_target"] == ["senior"]


class TestPlanETags:
    async def test_every_transition_needs_the_version_last_seen(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        await seed_county(client, writer, session)
        plan = await generate(client, writer)
        url = f"/v1/rotation-plans/{plan['id']}"
        fetched = await client.get(url, headers=writer)
        assert fetched.headers["etag"] == '"1"'
        assert fetched.json()["version"] == 1
        first, *others = plan["awaiting_confirmation"]
        confirmed = await client.post(
            f"{url}/confirmations",
            json={"school_code": first, "signatory": "校长"},
            headers={**writer, "If-Match": '"1"'},
        )
        assert confirmed.status_code == 201, confirmed.text
        assert confirmed.headers["etag"] == '"2"'  # a confirmation is a new version
        stale = await client.post(
            f"{url}/confirmations",
            json={"school_code": others[0], "signatory": "校长"},
            headers={**writer, "If-Match": '"1"'},
        )
        assert stale.status_code == 412
        assert stale.json()["errors"][0] == {
            "field": "header.if-match",
            "rule": "version_current",
            "message": '版本已变：当前 ETag 为 "2"，请重新读取后重试',
        }
        body = await confirm_all(client, writer, (await client.get(url, headers=writer)).json())
        assert (body["status"], body["version"]) == ("confirmed", 4)
        refused = await client.post(
            f"{url}/approval", json={}, headers={**writer, "If-Match": '"3"'}
        )
        assert refused.status_code == 412
        assert (await client.get(url, headers=writer)).json()["status"] == "confirmed"
        approved = await client.post(
            f"{url}/approval", json={}, headers={**writer, "If-Match": '"4"'}
        )
        assert approved.status_code == 200, approved.text
        assert approved.headers["etag"] == '"5"'
        executed = await client.post(
            f"{url}/execution",
            json={"moved_on": "2025-09-01"},
            headers={**writer, "If-Match": '"4"'},
        )
        assert executed.status_code == 412
        assert (await client.get(url, headers=writer)).json()["status"] == "approved"

    async def test_a_malformed_if_match_is_422(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        await seed_county(client, writer, session)
        plan = await generate(client, writer)
        response = await client.post(
            f"/v1/rotation-plans/{plan['id']}/confirmations",
            json={"school_code": plan["awaiting_confirmation"][0], "signatory": "校长"},
            headers={**writer, "If-Match": "yesterday"},
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "etag_format"
