"""`evaluation.verdict.changed`: staged once per change of the county verdict's status or failing
items, never when a stored input or assessment leaves both as they were (SQLite, PostgreSQL)."""

import json
from typing import Any

from httpx import AsyncClient
from nats.js import JetStreamContext
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.verdict.catalogue import NATIONAL_2017
from junheng_kit.tables import OutboxMessage
from junheng_kit.testing.plugin import eventually, stream_messages

BASE = "/v1/counties/150602/years/2025"
EVIDENCE = [{"title": "督导自评报告", "reference": "东教督〔2025〕3号"}]
NONE_FAILING = {
    "resource_allocation": 0,
    "government_assurance": 0,
    "education_quality": 0,
    "social_recognition": 0,
    "eligibility": 0,
    "vetoes": 0,
}


def review(finding: str = "met") -> dict[str, Any]:
    return {"measured": None, "finding": finding, "evidence": EVIDENCE, "reviewer": "李审核"}


async def announced(session: AsyncSession) -> list[dict[str, Any]]:
    """Every staged `evaluation.verdict.changed`, oldest first (by its per-county version)."""
    payloads = await session.scalars(
        select(OutboxMessage.payload).where(OutboxMessage.subject == "evaluation.verdict.changed")
    )
    events = [json.loads(payload) for payload in payloads]
    return sorted(events, key=lambda event: event["data"]["version"])


async def assess(
    client: AsyncClient, headers: dict[str, str], schools: list[dict[str, Any]]
) -> dict[str, Any]:
    response = await client.post(
        "/v1/assessments",
        json={"county_code": "150602", "year": 2025, "schools": schools},
        headers=headers,
    )
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


async def put_item(client: AsyncClient, headers: dict[str, str], key: str, finding: str) -> None:
    response = await client.put(f"{BASE}/items/{key}", json=review(finding), headers=headers)
    assert response.status_code == 200, response.json()


class TestVerdictChanged:
    async def test_the_first_assessment_announces_the_first_verdict(
        self,
        client: AsyncClient,
        session: AsyncSession,
        writer: dict[str, str],
        county: list[dict[str, Any]],
    ) -> None:
        body = await assess(client, writer, county)

        events = await announced(session)
        assert len(events) == 1
        event = events[0]
        assert (event["type"], event["subject"], event["jurisdiction"]) == (
            "evaluation.verdict.changed",
            "150602/2025",
            "150602",
        )
        # 2115060003 misses two indicators (qualified teachers 4.0 < 4.2, teaching area 4.0 < 4.5)
        assert event["data"] == {
            "county_code": "150602",
            "year": 2025,
            "catalogue_version": NATIONAL_2017.version,
            "status": "incomplete",
            "previous_status": None,
            "failing": {**NONE_FAILING, "resource_allocation": 2},
            "assessment_id": body["id"],
            "version": 1,
        }
        verdict = (await client.get(f"{BASE}/verdict", headers=writer)).json()
        assert [(i["part"], i["key"], i["school_code"]) for i in verdict["failing_items"]] == [
            ("resource_allocation", "senior_degree_teachers_per_100", "2115060003"),
            ("resource_allocation", "teaching_area_per_student", "2115060003"),
        ]

    async def test_inputs_and_assessments_that_change_nothing_announce_nothing(
        self,
        client: AsyncClient,
        session: AsyncSession,
        writer: dict[str, str],
        county: list[dict[str, Any]],
    ) -> None:
        await assess(client, writer, county)
        await put_item(client, writer, "school_network_plan", "met")  # still incomplete
        await put_item(client, writer, "school_network_plan", "met")
        await assess(client, writer, list(reversed(county)))  # the same data again

        assert [e["data"]["version"] for e in await announced(session)] == [1]

    async def test_a_failing_item_and_its_repair_are_each_announced_once(
        self,
        client: AsyncClient,
        session: AsyncSession,
        writer: dict[str, str],
        county: list[dict[str, Any]],
    ) -> None:
        await assess(client, writer, county)
        await put_item(client, writer, "ict_in_use", "not_met")
        await put_item(client, writer, "ict_in_use", "not_met")  # the same failing set
        await put_item(client, writer, "ict_in_use", "met")

        events = await announced(session)
        assert [
            (e["data"]["status"], e["data"]["previous_status"], e["data"]["failing"])
            for e in events
        ] == [
            ("incomplete", None, {**NONE_FAILING, "resource_allocation": 2}),
            (
                "incomplete",
                "incomplete",
                {**NONE_FAILING, "resource_allocation": 2, "education_quality": 1},
            ),
            ("incomplete", "incomplete", {**NONE_FAILING, "resource_allocation": 2}),
        ]
        assert [e["data"]["version"] for e in events] == [1, 2, 3]

    async def test_the_last_missing_input_turns_it_met_in_one_announcement(
        self,
        client: AsyncClient,
        session: AsyncSession,
        writer: dict[str, str],
        county: list[dict[str, Any]],
    ) -> None:
        await assess(client, writer, [county[0], county[1], county[3]])  # every section passes
        for spec in NATIONAL_2017.items:
            await put_item(client, writer, spec.key, "met")
        response = await client.put(
            f"{BASE}/recognition",
            json={"groups": [{"group": "parents", "respondents": 1000, "satisfied": 850}]},
            headers=writer,
        )
        assert response.status_code == 200
        assert len(await announced(session)) == 1  # incomplete all along: eligibility missing

        response = await client.put(
            f"{BASE}/eligibility", json={"basic_balance_recognised_year": 2022}, headers=writer
        )

        assert response.status_code == 200
        events = await announced(session)
        assert [(e["data"]["status"], e["data"]["previous_status"]) for e in events] == [
            ("incomplete", None),
            ("met", "incomplete"),
        ]
        assert events[1]["data"]["failing"] == NONE_FAILING

    async def test_a_rejected_input_announces_nothing(
        self,
        client: AsyncClient,
        session: AsyncSession,
        writer: dict[str, str],
        county: list[dict[str, Any]],
    ) -> None:
        await assess(client, writer, county)
        response = await client.put(
            f"{BASE}/eligibility", json={"basic_balance_recognised_year": 2026}, headers=writer
        )

        assert response.status_code == 422
        assert len(await announced(session)) == 1


class TestPublished:
    async def test_a_change_reaches_the_stream_once(
        self,
        live_client: AsyncClient,
        js: JetStreamContext,
        writer: dict[str, str],
        county: list[dict[str, Any]],
    ) -> None:
        body = await assess(live_client, writer, county)

        async def published() -> list[dict[str, Any]]:
            messages = await stream_messages(js, "evaluation.verdict.changed")
            events = [json.loads(m.data) for m in messages]
            return [e for e in events if e.get("data", {}).get("assessment_id") == body["id"]]

        events = await eventually(published)
        assert [e["data"]["status"] for e in events] == ["incomplete"]
