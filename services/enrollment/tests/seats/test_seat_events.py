"""enrollment.school_seats.changed through the outbox to a real nats-server."""

import json
from typing import Any

from httpx import AsyncClient
from nats.js import JetStreamContext

from junheng_kit.testing.plugin import TokenFactory, auth, eventually, stream_messages


async def seat_events(js: JetStreamContext, subject: str) -> list[dict[str, Any]]:
    messages = await stream_messages(js, "enrollment.school_seats.changed")
    events = [json.loads(m.data) for m in messages]
    return [e for e in events if e.get("subject") == subject]


class TestSeatPlanEvents:
    async def test_a_committed_plan_is_published_once_and_a_rejected_one_never(
        self, live_client: AsyncClient, js: JetStreamContext, token: TokenFactory, backend: str
    ) -> None:
        writer = auth(token("enrollment:read", "enrollment:write"))
        code = f"21150670{1 if backend == 'sqlite' else 2}1"  # the stream outlives each database
        school = {
            "school_code": code,
            "name": "东胜区第七小学",
            "levels": ["primary"],
            "county_code": "150602",
            "location": {"longitude": 109.98, "latitude": 39.82},
            "planned_capacity": 1200,
        }
        assert (
            await live_client.post("/v1/schools", json=school, headers=writer)
        ).status_code == 201
        url = f"/v1/schools/{code}/seats/2026"
        created = await live_client.put(
            url, json={"level": "primary", "planned_classes": 4}, headers=writer
        )
        assert created.status_code == 201
        refused = await live_client.put(
            url, json={"level": "primary", "planned_classes": 4, "class_cap": 50}, headers=writer
        )
        assert refused.status_code == 422
        changed = await live_client.put(
            url, json={"level": "primary", "planned_classes": 5}, headers=writer
        )
        assert changed.status_code == 200
        subject = f"{code}/primary/2026"

        async def both() -> list[dict[str, Any]]:
            found = await seat_events(js, subject)
            return found if len(found) >= 2 else []

        events = await eventually(both)
        assert [(e["data"]["version"], e["data"]["seats"]) for e in events] == [(1, 180), (2, 225)]
        assert {e["type"] for e in events} == {"enrollment.school_seats.changed"}
        assert {e["jurisdiction"] for e in events} == {"150602"}
