"""Events with a real nats-server: the stats event carries the counts; seat plans apply once."""

import json
from typing import Any

from httpx import AsyncClient
from nats.js import JetStreamContext
from sqlalchemy import func, select

from junheng_contracts.enrollment import SchoolSeatsChanged, SchoolSeatsData
from junheng_kit.tables import ProcessedMessage
from junheng_kit.testing.plugin import TokenFactory, auth, eventually, stream_messages
from staffing.classes.models import SchoolClassPlan
from staffing.classes.repository import classes_by_school

from .conftest import citizen_id, seed_schools, teacher


def backend_digit(backend: str) -> int:
    return 1 if backend == "sqlite" else 2  # the stream outlives each test's database


class TestStatsEvent:
    async def test_a_registration_publishes_the_schools_counts(
        self,
        live_client: AsyncClient,
        live_app: Any,
        js: JetStreamContext,
        token: TokenFactory,
        backend: str,
    ) -> None:
        async with live_app.state.sessionmaker() as session:
            await seed_schools(session)
        writer = auth(token("staffing:write"))

        async def school_stats() -> list[dict[str, Any]]:
            messages = await stream_messages(js, "staffing.school_teacher_stats.changed")
            events = [json.loads(m.data) for m in messages]
            return [e for e in events if e.get("subject") == "2115060001"]

        before = len(await school_stats())  # the stream outlives each test's database
        birth = f"1980010{backend_digit(backend)}"
        body = teacher(
            citizen_id=citizen_id(birth, 21),
            birth_date=f"1980-01-0{backend_digit(backend)}",
            subjects=["美术"],
            degree="专科",
            backbone_level="省级",
            leadership_post="校长",
            teacher_qualification={
                "type": "小学",
                "number": "20051500000000789",
                "subject": "美术",
            },
        )
        response = await live_client.post("/v1/teachers", json=body, headers=writer)
        assert response.status_code == 201
        teacher_id = response.json()["id"]

        async def new_stats() -> list[dict[str, Any]]:
            return (await school_stats())[before:]

        stats = await eventually(new_stats)
        assert len(stats) == 1
        latest = stats[0]
        assert latest["jurisdiction"] == "150602"
        assert latest["data"]["sections"] == [
            {
                "level": "primary",
                "full_time_teachers": 1,
                "teachers_above_required_degree": 1,
                "backbone_teachers": 1,
                "pe_arts_teachers": 1,
                "teachers_counted_for_training": 1,
                "teachers_meeting_training_hours": 0,
            }
        ]
        requirement = latest["data"]["training_requirement"]
        assert (requirement["required_hours"], requirement["window_years"]) == (360, 5)
        assert requirement["source"].startswith("教督〔2017〕6号 政府保障程度第9项")
        registered = [
            json.loads(m.data) for m in await stream_messages(js, "staffing.teacher.registered")
        ]
        mine = [e for e in registered if e.get("subject") == teacher_id]
        assert len(mine) == 1
        assert "citizen_id" not in mine[0]["data"]
        data = mine[0]["data"]
        assert (
            data["leadership_post"],
            data["teacher_qualification_type"],
            data["teacher_qualification_subject"],
        ) == ("principal", "primary_school", "art")
        assert "20051500000000789" not in json.dumps(mine[0])  # the certificate number stays
        assert body["citizen_id"] not in json.dumps(mine[0])
        assert body["name"] not in json.dumps(mine[0], ensure_ascii=False)


class TestSeatPlans:
    async def test_the_same_seat_plan_delivered_twice_is_applied_once(
        self, live_client: AsyncClient, live_app: Any, js: JetStreamContext, backend: str
    ) -> None:
        code = f"211506{backend_digit(backend)}101"
        event = SchoolSeatsChanged.of(
            subject=code,
            jurisdiction="150602",
            data=SchoolSeatsData(
                school_code=code,
                county_code="150602",
                year=2025,
                level="primary",
                grade=1,
                planned_classes=4,
                class_cap=45,
                seats=180,
                version=1,
            ),
        )
        payload = event.model_dump_json().encode()
        await js.publish(event.type, payload, headers={"Nats-Msg-Id": f"{event.id}-a"})
        await js.publish(event.type, payload, headers={"Nats-Msg-Id": f"{event.id}-b"})

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
            info = await js.consumer_info("ENROLLMENT", "staffing-seat-plans")
            return info.num_pending == 0 and info.num_ack_pending == 0 and await inbox_rows() > 0

        await eventually(both_delivered)
        assert await inbox_rows() == 1
        async with live_app.state.sessionmaker() as session:
            plans = list(await session.scalars(select(SchoolClassPlan)))
            assert [(p.school_code, p.planned_classes, p.version) for p in plans] == [(code, 4, 1)]
            assert await classes_by_school(session, [code], year=2027) == {(code, "primary"): 4}
