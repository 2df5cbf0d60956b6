"""Outbox → JetStream with a real nats-server: a commit publishes once, a rollback never."""

import json
from typing import Any

from httpx import AsyncClient
from nats.js import JetStreamContext

from junheng_kit.testing.plugin import TokenFactory, auth, eventually, stream_messages

SCHOOL: dict[str, Any] = {
    "school_code": "2115009001",
    "name": "东胜区实验小学",
    "levels": ["primary"],
    "county_code": "150602",
    "location": {"longitude": 109.98, "latitude": 39.81},
    "planned_capacity": 1200,
}


async def registered_for(js: JetStreamContext, school_code: str) -> list[dict[str, Any]]:
    """Every `enrollment.school.registered` event in the stream for one school."""
    events = [json.loads(m.data) for m in await stream_messages(js, "enrollment.school.registered")]
    return [e for e in events if e.get("subject") == school_code]  # skip non-events


def backend_digit(backend: str) -> int:
    return 1 if backend == "sqlite" else 2  # the stream outlives each test's database


class TestOutboxRelay:
    async def test_committed_registration_is_published_once_as_a_cloudevent(
        self, live_client: AsyncClient, js: JetStreamContext, token: TokenFactory, backend: str
    ) -> None:
        code = f"2115009{backend_digit(backend)}01"
        response = await live_client.post(
            "/v1/schools",
            json={**SCHOOL, "school_code": code},
            headers=auth(token("enrollment:write")),
        )
        assert response.status_code == 201

        async def published() -> list[dict[str, Any]]:
            return await registered_for(js, code)

        events = await eventually(published)
        assert len(events) == 1
        event = events[0]
        assert event["specversion"] == "1.0"
        assert event["source"] == "junheng/enrollment"
        assert event["type"] == "enrollment.school.registered"
        assert event["jurisdiction"] == "150602"
        assert event["data"]["version"] == 1
        assert event["data"]["planned_capacity"] == 1200

    async def test_rejected_registration_publishes_nothing(
        self, live_client: AsyncClient, js: JetStreamContext, token: TokenFactory, backend: str
    ) -> None:
        code = f"2115009{backend_digit(backend)}02"
        writer = auth(token("enrollment:write"))
        assert (
            await live_client.post(
                "/v1/schools", json={**SCHOOL, "school_code": code}, headers=writer
            )
        ).status_code == 201
        duplicate = await live_client.post(
            "/v1/schools", json={**SCHOOL, "school_code": code}, headers=writer
        )
        assert duplicate.status_code == 409

        async def published() -> list[dict[str, Any]]:
            return await registered_for(js, code)

        assert len(await eventually(published)) == 1
