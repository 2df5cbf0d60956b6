"""Teacher counts from `staffing.school_teacher_stats.changed` (real nats-server), the read model
and its use in assessments of stored data, on SQLite and PostgreSQL."""

from datetime import date
from typing import Any

import pytest
from httpx import AsyncClient
from nats.js import JetStreamContext
from sqlalchemy import func, select

from junheng_contracts.staffing import (
    SchoolTeacherStatsChanged,
    SchoolTeacherStatsData,
    SectionTeacherStats,
    TrainingRequirement,
)
from junheng_kit.tables import ProcessedMessage
from junheng_kit.testing.plugin import TokenFactory, auth, eventually

DURABLE = "evaluation-teacher-stats"
C = "2115060003"  # the county's failing primary section: 300 pupils, 12 / 3 / 3 teachers


def stats_event(
    school_code: str,
    version: int,
    *sections: tuple[str, int, int, int, int],
    as_of: date = date(2025, 10, 15),  # in the 2025—2026 school year
) -> SchoolTeacherStatsChanged:
    """`sections`: (level, full-time, above the required degree, backbone, PE and arts)."""
    return SchoolTeacherStatsChanged.of(
        subject=school_code,
        jurisdiction="150602",
        data=SchoolTeacherStatsData(
            school_code=school_code,
            county_code="150602",
            as_of=as_of,
            version=version,
            sections=[
                SectionTeacherStats(
                    level=level,  # type: ignore[arg-type]
                    full_time_teachers=full_time,
                    teachers_above_required_degree=above,
                    backbone_teachers=backbone,
                    pe_arts_teachers=pe_arts,
                )
                for level, full_time, above, backbone, pe_arts in sections
            ],
        ),
    )


async def publish(js: JetStreamContext, event: SchoolTeacherStatsChanged, msg_id: str = "") -> None:
    await js.publish(
        event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": msg_id or event.id}
    )


async def all_applied(js: JetStreamContext) -> bool:
    info = await js.consumer_info("STAFFING", DURABLE)
    return info.num_pending == 0 and info.num_ack_pending == 0


async def settled_stats(
    client: AsyncClient, js: JetStreamContext, headers: dict[str, str], school_code: str
) -> dict[str, Any]:
    """The read model of a school once every published event has been applied."""

    async def read() -> dict[str, Any] | None:
        if not await all_applied(js):  # acked only after commit: then the read sees them all
            return None
        response = await client.get(f"/v1/schools/{school_code}/teacher-stats", headers=headers)
        return response.json() if response.status_code == 200 else None

    stats: dict[str, Any] = await eventually(read)
    return stats


class TestReadModel:
    async def test_the_same_event_delivered_twice_is_applied_once(
        self, live_client: AsyncClient, live_app: Any, js: JetStreamContext, token: TokenFactory
    ) -> None:
        event = stats_event(C, 1, ("primary", 20, 13, 4, 3))
        await publish(js, event, f"{event.id}-a")
        await publish(js, event, f"{event.id}-b")  # past JetStream's dedupe: the inbox decides

        stats = await settled_stats(live_client, js, auth(token("evaluation:read")), C)

        async with live_app.state.sessionmaker() as session:
            inbox = await session.scalar(
                select(func.count())
                .select_from(ProcessedMessage)
                .where(ProcessedMessage.event_id == event.id, ProcessedMessage.consumer == DURABLE)
            )
        assert inbox == 1
        assert stats["version"] == 1
        assert stats["source_event_id"] == event.id
        assert stats["as_of"] == "2025-10-15"
        assert stats["source"] == f"staffing event {event.id} v1 at {event.time.isoformat()}"
        assert stats["sections"] == [
            {
                "level": "primary",
                "full_time_teachers": 20,
                "teachers_above_required_degree": 13,
                "backbone_teachers": 4,
                "pe_arts_teachers": 3,
                "teachers_counted_for_training": None,  # an event without training counts
                "teachers_meeting_training_hours": None,
            }
        ]
        assert stats["training_requirement"] is None

    async def test_training_counts_are_kept_with_their_requirement(
        self, live_client: AsyncClient, js: JetStreamContext, token: TokenFactory
    ) -> None:
        school = "2115060008"
        event = stats_event(school, 1, ("primary", 20, 13, 4, 3))
        section = event.data.sections[0].model_copy(
            update={"teachers_counted_for_training": 20, "teachers_meeting_training_hours": 18}
        )
        data = event.data.model_copy(
            update={
                "sections": [section],
                "training_requirement": TrainingRequirement(
                    required_hours=360,
                    window_years=5,
                    window_from=date(2020, 10, 16),
                    source="教督〔2017〕6号 政府保障程度第9项",
                ),
            }
        )
        await publish(js, event.model_copy(update={"data": data}))

        stats = await settled_stats(live_client, js, auth(token("evaluation:read")), school)

        [kept] = stats["sections"]
        assert (kept["teachers_counted_for_training"], kept["teachers_meeting_training_hours"]) == (
            20,
            18,
        )
        assert stats["training_requirement"] == {
            "required_hours": 360,
            "window_years": 5,
            "window_from": "2020-10-16",
            "source": "教督〔2017〕6号 政府保障程度第9项",
        }

    async def test_a_stale_version_is_ignored(
        self, live_client: AsyncClient, js: JetStreamContext, token: TokenFactory
    ) -> None:
        newer = stats_event(C, 3, ("primary", 21, 14, 5, 3))
        older = stats_event(C, 2, ("primary", 19, 11, 2, 2))
        await publish(js, newer)
        await publish(js, older)

        stats = await settled_stats(live_client, js, auth(token("evaluation:read")), C)

        assert stats["version"] == 3
        assert stats["source_event_id"] == newer.id
        assert stats["sections"][0]["teachers_above_required_degree"] == 14

    async def test_a_newer_event_without_a_level_drops_that_level(
        self, live_client: AsyncClient, js: JetStreamContext, token: TokenFactory
    ) -> None:
        nine_year = "2115060009"
        await publish(
            js, stats_event(nine_year, 1, ("junior", 30, 28, 3, 3), ("primary", 40, 38, 4, 4))
        )
        await publish(js, stats_event(nine_year, 2, ("primary", 41, 39, 4, 4)))

        stats = await settled_stats(live_client, js, auth(token("evaluation:read")), nine_year)

        assert stats["version"] == 2
        assert [(s["level"], s["full_time_teachers"]) for s in stats["sections"]] == [
            ("primary", 41)
        ]

    async def test_another_countys_school_is_not_found(
        self, live_client: AsyncClient, js: JetStreamContext, token: TokenFactory
    ) -> None:
        await publish(js, stats_event(C, 1, ("primary", 20, 13, 4, 3)))
        await settled_stats(live_client, js, auth(token("evaluation:read")), C)

        tongyu = auth(token("evaluation:read", jurisdiction=("220822",)))
        response = await live_client.get(f"/v1/schools/{C}/teacher-stats", headers=tongyu)

        assert response.status_code == 404


class TestAssessmentFromStoredData:
    async def test_uses_staffings_counts_and_records_their_source(
        self,
        live_client: AsyncClient,
        js: JetStreamContext,
        token: TokenFactory,
        county: list[dict[str, Any]],
    ) -> None:
        writer = auth(token("evaluation:read", "evaluation:write"))
        upload = await live_client.put(
            "/v1/school-resources/150602/2025", json={"schools": county}, headers=writer
        )
        assert upload.status_code == 200
        # staffing counts C's primary section: 13 above the required degree, 4 backbone, 3 PE
        # and arts teachers for its 300 pupils (the upload said 12 / 3 / 3)
        event = stats_event(C, 2, ("primary", 20, 13, 4, 3))
        await publish(js, event)
        await settled_stats(live_client, js, writer, C)

        response = await live_client.post(
            "/v1/assessments", json={"county_code": "150602", "year": 2025}, headers=writer
        )

        assert response.status_code == 201
        body = response.json()
        c = next(s for s in body["schools"] if s["school_code"] == C)["indicators"]
        # 13 / 300 × 100 = 4.3333 ≥ 4.2; 4 / 300 × 100 = 1.3333 ≥ 1; 3 / 300 × 100 = 1.0 ≥ 0.9
        assert c["senior_degree_teachers_per_100"]["value"] == pytest.approx(4.333333, abs=1e-6)
        assert c["senior_degree_teachers_per_100"]["met"] is True
        assert c["backbone_teachers_per_100"]["value"] == pytest.approx(1.333333, abs=1e-6)
        assert c["pe_arts_teachers_per_100"]["value"] == 1.0
        # C now meets 6 of 7 (only teaching area 4.0 < 4.5 is short): every section passes
        assert body["resource_allocation"]["passed"] is True
        # the hash is over the numbers used: the same as sending them explicitly
        used = [
            {**s, "teachers_above_required_degree": 13, "backbone_teachers": 4}
            if s["school_code"] == C
            else s
            for s in county
        ]
        explicit = await live_client.post(
            "/v1/assessments",
            json={"county_code": "150602", "year": 2025, "schools": used},
            headers=writer,
        )
        assert body["inputs_sha256"] == explicit.json()["inputs_sha256"]

        staffing = f"staffing event {event.id} v2 at {event.time.isoformat()}"
        uploaded = f"upload {upload.json()['content_sha256']}"
        sources = await live_client.get(f"/v1/assessments/{body['id']}/sources", headers=writer)
        assert sources.status_code == 200
        recorded = sources.json()
        assert recorded["origin"] == "stored"
        assert recorded["upload"]["content_sha256"] == upload.json()["content_sha256"]
        by_code = {s["school_code"]: s["sources"] for s in recorded["sections"]}
        assert by_code[C] == {
            "students": uploaded,
            "teachers_above_required_degree": staffing,
            "backbone_teachers": staffing,
            "pe_arts_teachers": staffing,
            "teaching_auxiliary_area_m2": uploaded,
            "sports_venue_area_m2": uploaded,
            "equipment_value_yuan": uploaded,
            "multimedia_classrooms": uploaded,
        }
        assert set(by_code["2115060001"].values()) == {uploaded}
        explicit_sources = await live_client.get(
            f"/v1/assessments/{explicit.json()['id']}/sources", headers=writer
        )
        assert explicit_sources.json()["origin"] == "request"
        assert set(explicit_sources.json()["sections"][0]["sources"].values()) == {"request"}

        stored = (await live_client.get("/v1/school-resources/150602/2025", headers=writer)).json()
        assert stored["upload_source"] == uploaded
        assert stored["teacher_counts_from_staffing"] == [
            {
                "school_code": C,
                "level": "primary",
                "teachers_above_required_degree": 13,
                "backbone_teachers": 4,
                "pe_arts_teachers": 3,
                "source": staffing,
            }
        ]
        assert next(s for s in stored["schools"] if s["school_code"] == C)["backbone_teachers"] == 3

    async def test_counts_of_another_school_year_leave_the_upload_in_use(
        self,
        live_client: AsyncClient,
        js: JetStreamContext,
        token: TokenFactory,
        county: list[dict[str, Any]],
    ) -> None:
        writer = auth(token("evaluation:read", "evaluation:write"))
        await live_client.put(
            "/v1/school-resources/150602/2025", json={"schools": county}, headers=writer
        )
        # 2026-09-01 starts the 2026 school year: not the counts of 2025's pupils
        await publish(js, stats_event(C, 1, ("primary", 20, 13, 4, 3), as_of=date(2026, 9, 1)))
        await settled_stats(live_client, js, writer, C)

        response = await live_client.post(
            "/v1/assessments", json={"county_code": "150602", "year": 2025}, headers=writer
        )

        c = next(s for s in response.json()["schools"] if s["school_code"] == C)["indicators"]
        assert c["senior_degree_teachers_per_100"]["value"] == 4.0  # 12 / 300 × 100, uploaded
        assert response.json()["resource_allocation"]["passed"] is False
        sources = await live_client.get(
            f"/v1/assessments/{response.json()['id']}/sources", headers=writer
        )
        uploaded = await live_client.get("/v1/school-resources/150602/2025", headers=writer)
        recorded = {v for s in sources.json()["sections"] for v in s["sources"].values()}
        assert recorded == {f"upload {uploaded.json()['content_sha256']}"}
        assert uploaded.json()["teacher_counts_from_staffing"] == []
