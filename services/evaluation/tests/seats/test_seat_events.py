"""Seat plans from `enrollment.school_seats.changed` (real nats-server) and the read model, a
planning view that no longer judges 班额 in the county verdict, on SQLite and PostgreSQL."""

from typing import Any

from httpx import AsyncClient
from nats.js import JetStreamContext
from sqlalchemy import func, select

from junheng_contracts.enrollment import SchoolSeatsChanged, SchoolSeatsData
from junheng_kit.tables import ProcessedMessage
from junheng_kit.testing.plugin import TokenFactory, auth, eventually

DURABLE = "evaluation-seats"
BASE = "/v1/counties/150602/years/2025"
A, J = "2115060001", "3115060001"


def seats_event(
    school_code: str, level: str, version: int, classes: int, cap: int, *, year: int = 2025
) -> SchoolSeatsChanged:
    return SchoolSeatsChanged.of(
        subject=school_code,
        jurisdiction="150602",
        data=SchoolSeatsData(
            school_code=school_code,
            county_code="150602",
            year=year,
            level=level,  # type: ignore[arg-type]
            grade=1 if level == "primary" else 7,
            planned_classes=classes,
            class_cap=cap,
            seats=classes * cap,
            version=version,
        ),
    )


async def publish(js: JetStreamContext, event: SchoolSeatsChanged, msg_id: str = "") -> None:
    await js.publish(
        event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": msg_id or event.id}
    )


async def settled(
    client: AsyncClient, js: JetStreamContext, headers: dict[str, str], path: str
) -> dict[str, Any]:
    """GET `path` once every published seat event has been applied (acked after commit)."""

    async def read() -> dict[str, Any] | None:
        info = await js.consumer_info("ENROLLMENT", DURABLE)
        if info.num_pending or info.num_ack_pending:
            return None
        response = await client.get(path, headers=headers)
        return response.json() if response.status_code == 200 else None

    body: dict[str, Any] = await eventually(read)
    return body


class TestReadModel:
    async def test_the_same_event_delivered_twice_is_applied_once(
        self, live_client: AsyncClient, live_app: Any, js: JetStreamContext, token: TokenFactory
    ) -> None:
        event = seats_event(A, "primary", 1, 4, 45)
        await publish(js, event, f"{event.id}-a")
        await publish(js, event, f"{event.id}-b")  # past JetStream's dedupe: the inbox decides

        plans = await settled(live_client, js, auth(token("evaluation:read")), f"{BASE}/seat-plans")

        async with live_app.state.sessionmaker() as session:
            inbox = await session.scalar(
                select(func.count())
                .select_from(ProcessedMessage)
                .where(ProcessedMessage.event_id == event.id, ProcessedMessage.consumer == DURABLE)
            )
        assert inbox == 1
        assert [(p["school_code"], p["planned_classes"], p["seats"]) for p in plans["plans"]] == [
            (A, 4, 180)
        ]
        assert plans["plans"][0]["source"] == (
            f"enrollment seats event {event.id} v1 at {event.time.isoformat()}"
        )
        assert plans["measured"] == {"largest_primary_class": "45"}
        assert plans["over_cap"] == []

    async def test_a_stale_version_is_ignored(
        self, live_client: AsyncClient, js: JetStreamContext, token: TokenFactory
    ) -> None:
        newer = seats_event(A, "primary", 3, 5, 45)
        older = seats_event(A, "primary", 2, 4, 48)
        await publish(js, newer)
        await publish(js, older)

        plans = await settled(live_client, js, auth(token("evaluation:read")), f"{BASE}/seat-plans")

        assert [(p["version"], p["planned_classes"], p["class_cap"]) for p in plans["plans"]] == [
            (3, 5, 45)
        ]

    async def test_another_countys_plans_are_forbidden(
        self, live_client: AsyncClient, token: TokenFactory
    ) -> None:
        tongyu = auth(token("evaluation:read", jurisdiction=("220822",)))

        response = await live_client.get(f"{BASE}/seat-plans", headers=tongyu)

        assert response.status_code == 403


class TestNotTheVerdict:
    async def test_plans_over_the_cap_do_not_judge_item_5(
        self, live_client: AsyncClient, js: JetStreamContext, token: TokenFactory
    ) -> None:
        """A plan's seats ÷ classes is the entry grade's plan, at the cap by construction: the
        verdict judges 班额 on the real classes of every grade (evaluation.classes), so plans
        alone leave item 5 missing (issue 19 item 1)."""
        reader = auth(token("evaluation:read", "evaluation:write"))
        await publish(js, seats_event(A, "primary", 1, 4, 48))

        plans = await settled(live_client, js, reader, f"{BASE}/seat-plans")
        verdict = (await live_client.get(f"{BASE}/verdict", headers=reader)).json()

        assert plans["measured"] == {"largest_primary_class": "48"}
        assert [(s["school_code"], s["classes_missing"]) for s in plans["over_cap"]] == [(A, 1)]
        assert "items.class_size" in verdict["missing"]
        assert not any(f["key"].startswith("class_size") for f in verdict["failing_items"])


class TestACountyWithManySeatPlans:
    async def test_twelve_plans_are_all_applied(
        self, live_client: AsyncClient, js: JetStreamContext, token: TokenFactory
    ) -> None:
        # 8 primary schools (the first over the cap: 4 classes of 48) and 4 junior schools
        reader = auth(token("evaluation:read"))
        primary = [f"21150600{n:02d}" for n in range(1, 9)]
        junior = [f"31150600{n:02d}" for n in range(1, 5)]
        events = [seats_event(primary[0], "primary", 1, 4, 48)]
        events += [seats_event(code, "primary", 1, 3, 45) for code in primary[1:]]
        events += [seats_event(code, "junior", 1, 6, 50) for code in junior]
        for event in events:
            await publish(js, event)

        plans = await settled(live_client, js, reader, f"{BASE}/seat-plans")

        assert sorted(p["school_code"] for p in plans["plans"]) == sorted(primary + junior)
        assert sorted(p["source"] for p in plans["plans"]) == sorted(
            f"enrollment seats event {e.id} v1 at {e.time.isoformat()}" for e in events
        )
        assert [(s["school_code"], s["classes_missing"]) for s in plans["over_cap"]] == [
            (primary[0], 1)
        ]
