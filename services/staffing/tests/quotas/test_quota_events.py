"""staffing.quota.approved through the outbox to a real nats-server: one per school, none on a
refused decision."""

import json
from typing import Any
from uuid import uuid4

from fastapi import FastAPI
from httpx import AsyncClient

from junheng_kit.testing.plugin import TokenFactory, auth, eventually, stream_messages

from .conftest import ANSHAN, DONGSHENG, URBAN_PRIMARY, VILLAGE, seed_schools


async def test_a_committed_decision_publishes_one_event_per_school_and_a_refused_one_none(
    live_client: AsyncClient, live_app: FastAPI, js: Any, token: TokenFactory
) -> None:
    async with live_app.state.sessionmaker() as session:
        await seed_schools(session)
    writer = auth(token("staffing:write", "staffing:read"))
    reference = f"东编发〔2025〕{uuid4().hex[:8]}号"  # the stream outlives one back end's run
    refused = await live_client.post(
        f"/v1/counties/{DONGSHENG}/quota-ledger",
        json={
            "year": 2025,
            "kind": "approval",
            "reason": "核定",
            "reference": reference,
            "entries": [
                {"school_code": VILLAGE, "approved_posts": 6},
                {"school_code": ANSHAN, "approved_posts": 9},
            ],
        },
        headers=writer,
    )
    assert refused.status_code == 422
    accepted = await live_client.post(
        f"/v1/counties/{DONGSHENG}/quota-ledger",
        json={
            "year": 2025,
            "kind": "approval",
            "reason": "2025学年编制核定",
            "reference": reference,
            "entries": [
                {"school_code": URBAN_PRIMARY, "approved_posts": 50},
                {"school_code": VILLAGE, "approved_posts": 6},
            ],
        },
        headers=writer,
    )
    assert accepted.status_code == 201

    async def published() -> list[Any]:
        found = [
            json.loads(m.data)["data"]
            for m in await stream_messages(js, "staffing.quota.approved")
            if json.loads(m.data)["data"]["reference"] == reference
        ]
        return found if len(found) >= 2 else []

    data = sorted(await eventually(published), key=lambda d: d["school_code"])
    assert [(d["school_code"], d["approved_posts"], d["change"], d["version"]) for d in data] == [
        (URBAN_PRIMARY, 50, 50, 1),
        (VILLAGE, 6, 6, 1),
    ]
