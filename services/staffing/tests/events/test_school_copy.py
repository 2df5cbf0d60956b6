"""Staffing keeps a copy of the school registry from enrollment's events (real nats-server)."""

import json
from typing import Any

from httpx import AsyncClient
from nats.js import JetStreamContext
from sqlalchemy import func, select

from junheng_contracts.enrollment import SchoolData, SchoolRegistered, SchoolUpdated
from junheng_kit.messaging.consumer import TERMINATED
from junheng_kit.tables import ProcessedMessage
from junheng_kit.testing.plugin import TokenFactory, auth, eventually


def school(code: str, version: int, capacity: int = 900) -> SchoolData:
    return SchoolData(
        school_code=code,
        name="东胜区第三小学",
        levels=["primary"],
        county_code="150602",
        longitude=109.97,
        latitude=39.80,
        planned_capacity=capacity,
        version=version,
    )


async def publish(js: JetStreamContext, event: Any, msg_id: str | None = None) -> None:
    await js.publish(
        event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": msg_id or event.id}
    )


class TestSchoolCopy:
    async def test_registration_event_appears_in_the_local_list(
        self, live_client: AsyncClient, js: JetStreamContext, token: TokenFactory
    ) -> None:
        event = SchoolRegistered.of(
            subject="2115007001", jurisdiction="150602", data=school("2115007001", 1)
        )
        await publish(js, event)
        reader = auth(token("staffing:read"))

        async def listed() -> Any:
            response = await live_client.get("/v1/schools/2115007001", headers=reader)
            return response.json() if response.status_code == 200 else None

        copy = await eventually(listed)
        assert copy["planned_capacity"] == 900
        assert copy["source_event_id"] == event.id

    async def test_the_same_event_twice_is_applied_once(
        self, live_client: AsyncClient, live_app: Any, js: JetStreamContext
    ) -> None:
        event = SchoolRegistered.of(
            subject="2115007002", jurisdiction="150602", data=school("2115007002", 1)
        )
        await publish(js, event, msg_id=f"{event.id}-a")
        await publish(
            js, event, msg_id=f"{event.id}-b"
        )  # past JetStream's dedupe: the inbox decides

        async def inbox_rows() -> int:
            async with live_app.state.sessionmaker() as session:
                return int(
                    await session.scalar(
                        select(func.count())
                        .select_from(ProcessedMessage)
                        .where(ProcessedMessage.event_id == event.id)
                    )
                    or 0
                )

        async def both_delivered() -> bool:
            info = await js.consumer_info("ENROLLMENT", "staffing-schools")
            return info.num_pending == 0 and info.num_ack_pending == 0 and await inbox_rows() > 0

        await eventually(both_delivered)
        assert await inbox_rows() == 1

    async def test_a_stale_update_does_not_overwrite_a_newer_copy(
        self, live_client: AsyncClient, js: JetStreamContext, token: TokenFactory
    ) -> None:
        newer = SchoolUpdated.of(
            subject="2115007003", jurisdiction="150602", data=school("2115007003", 3, capacity=1500)
        )
        older = SchoolUpdated.of(
            subject="2115007003", jurisdiction="150602", data=school("2115007003", 2, capacity=1000)
        )
        await publish(js, newer)
        await publish(js, older)
        reader = auth(token("staffing:read"))

        async def at_version_3_after_older() -> Any:
            info = await js.consumer_info("ENROLLMENT", "staffing-schools")
            response = await live_client.get("/v1/schools/2115007003", headers=reader)
            done = info.num_pending == 0 and info.num_ack_pending == 0
            return response.json() if done and response.status_code == 200 else None

        copy = await eventually(at_version_3_after_older)
        assert copy["version"] == 3
        assert copy["planned_capacity"] == 1500

    async def test_a_malformed_event_is_terminated_not_redelivered(
        self, live_client: AsyncClient, js: JetStreamContext
    ) -> None:
        before = TERMINATED.labels("staffing-schools")._value.get()
        await js.publish("enrollment.school.registered", json.dumps({"not": "an event"}).encode())

        async def terminated() -> float:
            return float(TERMINATED.labels("staffing-schools")._value.get() - before)

        assert await eventually(terminated) == 1.0
