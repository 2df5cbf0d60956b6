"""Seat plans over HTTP, on SQLite and PostgreSQL: seats from classes and the policy cap,
大班额 flags, versions, the outbox event, and bad input."""

import json
from typing import Any

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.tables import OutboxMessage
from junheng_kit.testing.plugin import TokenFactory, auth

URL = "/v1/schools/2115060001/seats/2026"


async def staged_events(session: AsyncSession) -> list[dict[str, Any]]:
    payloads = await session.scalars(
        select(OutboxMessage.payload)
        .where(OutboxMessage.subject == "enrollment.school_seats.changed")
        .order_by(OutboxMessage.id)
    )
    return [json.loads(p) for p in payloads]


class TestPutSeatPlan:
    async def test_seats_are_classes_times_the_policy_cap_with_class_flags(
        self, client: AsyncClient, session: AsyncSession, schools: None, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            URL,
            json={"level": "primary", "planned_classes": 6, "class_sizes": [45, 46, 56, 65, 66]},
            headers=writer,
        )
        assert response.status_code == 201
        body = response.json()
        # 6 classes × 45 (primary cap, 教督〔2017〕6号) = 270 seats
        assert (body["class_cap"], body["policy_class_cap"], body["seats"]) == (45, 45, 270)
        assert body["grade"] == 1
        # over 45: 46, 56, 65, 66; 大班额 56–65: 56, 65; 超大班额 ≥ 66: 66
        assert body["flags"] == {"over_cap": 4, "large": 2, "extra_large": 1}
        assert body["version"] == 1
        assert response.headers["etag"] == '"1"'
        [event] = await staged_events(session)
        assert event["subject"] == "2115060001/primary/2026"
        assert event["jurisdiction"] == "150602"
        assert event["data"] == {
            "school_code": "2115060001",
            "county_code": "150602",
            "year": 2026,
            "level": "primary",
            "grade": 1,
            "planned_classes": 6,
            "class_cap": 45,
            "seats": 270,
            "version": 1,
        }

    async def test_a_smaller_cap_is_allowed_and_a_change_is_version_2(
        self, client: AsyncClient, session: AsyncSession, schools: None, writer: dict[str, str]
    ) -> None:
        await client.put(URL, json={"level": "primary", "planned_classes": 6}, headers=writer)
        response = await client.put(
            URL, json={"level": "primary", "planned_classes": 6, "class_cap": 40}, headers=writer
        )
        assert response.status_code == 200
        assert (response.json()["seats"], response.json()["version"]) == (240, 2)
        events = await staged_events(session)
        assert [e["data"]["version"] for e in events] == [1, 2]

    async def test_the_same_plan_again_is_no_new_version_and_no_event(
        self, client: AsyncClient, session: AsyncSession, schools: None, writer: dict[str, str]
    ) -> None:
        body = {"level": "primary", "planned_classes": 6}
        await client.put(URL, json=body, headers=writer)
        again = await client.put(URL, json=body, headers=writer)
        assert (again.status_code, again.json()["version"]) == (200, 1)
        assert len(await staged_events(session)) == 1

    async def test_a_junior_plan_of_a_nine_year_school_uses_the_junior_cap(
        self, client: AsyncClient, schools: None, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            "/v1/schools/3115060009/seats/2026",
            json={"level": "junior", "planned_classes": 4},
            headers=writer,
        )
        assert (response.json()["grade"], response.json()["seats"]) == (7, 200)  # 4 × 50

    async def test_a_stale_if_match_is_412(
        self, client: AsyncClient, schools: None, writer: dict[str, str]
    ) -> None:
        await client.put(URL, json={"level": "primary", "planned_classes": 6}, headers=writer)
        await client.put(URL, json={"level": "primary", "planned_classes": 7}, headers=writer)
        response = await client.put(
            URL,
            json={"level": "primary", "planned_classes": 8},
            headers={**writer, "If-Match": '"1"'},
        )
        assert response.status_code == 412
        assert response.json()["errors"][0]["rule"] == "version_current"


class TestRejectedSeatPlans:
    async def test_a_cap_above_the_policy_is_rejected_with_the_rule(
        self, client: AsyncClient, session: AsyncSession, schools: None, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            URL, json={"level": "primary", "planned_classes": 6, "class_cap": 46}, headers=writer
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "field": "class_cap",
                "rule": "class_cap_within_policy",
                "message": "primary 每班至多 45 人（班额，教督〔2017〕6号/2017-04-26）",
            }
        ]
        assert await staged_events(session) == []

    async def test_negative_classes_are_rejected(
        self, client: AsyncClient, schools: None, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            URL, json={"level": "primary", "planned_classes": -1}, headers=writer
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        [error] = response.json()["errors"]
        assert (error["field"], error["rule"]) == ("planned_classes", "greater_than_equal")

    async def test_a_level_the_school_does_not_teach_is_rejected(
        self, client: AsyncClient, schools: None, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            URL, json={"level": "junior", "planned_classes": 4}, headers=writer
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "level"
        assert response.json()["errors"][0]["rule"] == "school_level"

    async def test_an_unknown_school_is_404(
        self, client: AsyncClient, schools: None, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            "/v1/schools/2115069999/seats/2026",
            json={"level": "primary", "planned_classes": 4},
            headers=writer,
        )
        assert response.status_code == 404

    async def test_another_county_cannot_plan_or_read_the_seats(
        self, client: AsyncClient, schools: None, writer: dict[str, str], token: TokenFactory
    ) -> None:
        await client.put(URL, json={"level": "primary", "planned_classes": 6}, headers=writer)
        tongyu = auth(token("enrollment:read", "enrollment:write", jurisdiction=("220822",)))
        response = await client.put(
            URL, json={"level": "primary", "planned_classes": 9}, headers=tongyu
        )
        assert response.status_code == 404
        assert (await client.get(URL, headers=tongyu)).status_code == 404
        listed = await client.get("/v1/seat-plans", params={"year": 2026}, headers=tongyu)
        assert listed.json()["items"] == []

    async def test_a_year_before_any_class_size_policy_is_rejected(
        self, client: AsyncClient, schools: None, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            "/v1/schools/2115060001/seats/2016",
            json={"level": "primary", "planned_classes": 4},
            headers=writer,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "class_size_policy_in_force"


class TestReadSeatPlans:
    async def test_list_of_a_county_and_year_pages_by_school(
        self, client: AsyncClient, schools: None, writer: dict[str, str]
    ) -> None:
        for code in ("2115060002", "2115060001"):
            await client.put(
                f"/v1/schools/{code}/seats/2026",
                json={"level": "primary", "planned_classes": 2},
                headers=writer,
            )
        first = await client.get(
            "/v1/seat-plans",
            params={"year": 2026, "county_code": "150602", "limit": 1},
            headers=writer,
        )
        assert [p["school_code"] for p in first.json()["items"]] == ["2115060001"]
        rest = await client.get(
            "/v1/seat-plans",
            params={"year": 2026, "limit": 1, "cursor": first.json()["next_cursor"]},
            headers=writer,
        )
        assert [p["school_code"] for p in rest.json()["items"]] == ["2115060002"]
        one = await client.get("/v1/schools/2115060002/seats/2026", headers=writer)
        assert [p["seats"] for p in one.json()["items"]] == [90]
