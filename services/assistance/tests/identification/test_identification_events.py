"""Events through a real nats-server on SQLite and PostgreSQL: enrollment's confirmed admissions
placed on the roster, `assistance.coverage.computed` when a job ends; start-up failing a job
that a restart cut off."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from nats.js import JetStreamContext
from pydantic import SecretStr
from sqlalchemy import func, select

from assistance.app import create_app
from assistance.identification.models import IdentificationJob
from assistance.settings import AssistanceSettings
from assistance.students.models import PendingPlacement, Student, citizen_id_index
from junheng_contracts.enrollment import AdmissionConfirmed, AdmissionConfirmedData
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.identifiers import citizen_id_from_body as cid
from junheng_kit.identifiers import student_key
from junheng_kit.ids import uuid7
from junheng_kit.tables import ProcessedMessage
from junheng_kit.tabular import CSV
from junheng_kit.testing.plugin import (
    TEST_PSEUDONYM_KEY,
    TEST_SECRET,
    TokenFactory,
    eventually,
    field_keys_for_tests,
    stream_messages,
)
from junheng_kit.timeutil import utcnow

from .conftest import JUNIOR, PRIMARY, add_schools, plant_list, writer

DURABLE = "assistance-admissions"
WANG = cid("15060220130301002")  # 王芳, primary grade 6 on the roster, admitted to junior
NEW = cid("15060220140601003")  # 刘洋: admitted before any roster import brings him


def admission(citizen_id: str, *, year: int = 2026, grade: int = 7) -> AdmissionConfirmed:
    return AdmissionConfirmed.of(
        subject=f"application-{citizen_id[-4:]}",
        jurisdiction="150602",
        data=AdmissionConfirmedData(
            application_id=f"application-{citizen_id[-4:]}",
            county_code="150602",
            year=year,
            school_code=JUNIOR,
            level="junior",
            grade=grade,
            student_key=student_key(TEST_PSEUDONYM_KEY.encode(), citizen_id),
            route="assignment",
        ),
    )


async def publish(js: JetStreamContext, event: AdmissionConfirmed, msg_id: str = "") -> None:
    await js.publish(
        event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": msg_id or event.id}
    )


async def all_applied(js: JetStreamContext) -> bool:
    info = await js.consumer_info("ENROLLMENT", DURABLE)
    return info.num_pending == 0 and info.num_ack_pending == 0


@pytest.fixture
async def county(live_client: AsyncClient, live_app: FastAPI) -> None:
    async with live_app.state.sessionmaker() as session:
        await add_schools(session)
        await session.commit()


def roster(*rows: str) -> bytes:
    return "\n".join(["姓名,身份证件号,学校标识码,学段,年级", *rows]).encode()


class TestAdmissions:
    async def test_a_confirmed_admission_moves_the_roster_row_once(
        self,
        live_client: AsyncClient,
        live_app: FastAPI,
        js: JetStreamContext,
        token: TokenFactory,
        county: None,
    ) -> None:
        await live_client.post(
            "/v1/students/imports",
            content=roster(f"王芳,{WANG},{PRIMARY},小学,6"),
            headers=writer(token, content_type=CSV),
        )
        event = admission(WANG)
        await publish(js, event, f"{event.id}-a")
        await publish(js, event, f"{event.id}-b")  # past JetStream's dedupe: the inbox decides

        await eventually(lambda: all_applied(js))

        async with live_app.state.sessionmaker() as session:
            wang = await session.scalar(
                select(Student).where(Student.citizen_id_index == citizen_id_index(WANG))
            )
            inbox = await session.scalar(
                select(func.count())
                .select_from(ProcessedMessage)
                .where(ProcessedMessage.event_id == event.id)
            )
        assert wang is not None
        assert (wang.school_code, wang.level, wang.grade, wang.source, wang.version) == (
            JUNIOR,
            "junior",
            7,
            "enrollment",
            2,
        )
        assert inbox == 1

    async def test_an_admission_before_the_roster_waits_for_the_import(
        self,
        live_client: AsyncClient,
        live_app: FastAPI,
        js: JetStreamContext,
        token: TokenFactory,
        county: None,
    ) -> None:
        await publish(js, admission(NEW))
        await publish(js, admission(NEW, year=2025, grade=6))  # older year: ignored
        await eventually(lambda: all_applied(js))

        response = await live_client.post(
            "/v1/students/imports",
            content=roster(f"刘洋,{NEW},{PRIMARY},小学,6"),
            headers=writer(token, content_type=CSV),
        )

        assert response.json()["placements_applied"] == 1
        async with live_app.state.sessionmaker() as session:
            liu = await session.scalar(
                select(Student).where(Student.citizen_id_index == citizen_id_index(NEW))
            )
            pending = await session.scalar(select(func.count()).select_from(PendingPlacement))
        assert liu is not None
        assert (liu.school_code, liu.grade, liu.source) == (JUNIOR, 7, "enrollment")
        assert pending == 0


class TestCoverageEvent:
    async def test_a_finished_job_publishes_coverage_without_personal_data(
        self,
        live_client: AsyncClient,
        live_app: FastAPI,
        js: JetStreamContext,
        token: TokenFactory,
        county: None,
    ) -> None:
        await live_client.post(
            "/v1/students/imports",
            content=roster(f"王芳,{WANG},{PRIMARY},小学,6", f"刘洋,{NEW},{JUNIOR},初中,8"),
            headers=writer(token, content_type=CSV),
        )
        async with live_app.state.sessionmaker() as session:
            await plant_list(session, "mca", [(WANG, "王芳", "dibao", date(2026, 1, 1), None)])
            await session.commit()
        response = await live_client.post(
            "/v1/identification-jobs",
            json={
                "county_code": "150602",
                "school_year": 2026,
                "as_of": "2026-09-01",
                "purpose": "应助尽助",
                "legal_basis": "财教〔2021〕310号",
            },
            headers=writer(token),
        )
        job_id = response.json()["id"]
        await live_app.state.identification_jobs.wait(UUID(job_id))

        async def published() -> list[Any]:
            return [
                m
                for m in await stream_messages(js, "assistance.coverage.computed")
                if json.loads(m.data)["data"]["job_id"] == job_id
            ]

        [message] = await eventually(published)
        event = json.loads(message.data)
        assert (event["subject"], event["jurisdiction"]) == (job_id, "150602")
        assert event["data"] == {
            "job_id": job_id,
            "county_code": "150602",
            "school_year": 2026,
            "as_of": "2026-09-01",
            "students": 2,
            "eligible": 1,
            "auto_identified": 1,
            "awarded": 1,
            "coverage": 1.0,
            "per_school": [
                {
                    "school_code": PRIMARY,
                    "students": 1,
                    "eligible": 1,
                    "auto_identified": 1,
                    "awarded": 1,
                    "coverage": 1.0,
                },
                {
                    "school_code": JUNIOR,
                    "students": 1,
                    "eligible": 0,
                    "auto_identified": 0,
                    "awarded": 0,
                    "coverage": 0.0,
                },
            ],
        }
        assert WANG not in message.data.decode()
        assert "王芳" not in message.data.decode()


def running_job(phase: str, heartbeat_at: datetime) -> IdentificationJob:
    return IdentificationJob(
        id=uuid7(),
        county_code="150602",
        school_year=2026,
        as_of=date(2026, 9, 1),
        refresh_lists=False,
        purpose="应助尽助",
        legal_basis="财教〔2021〕310号",
        status="running",
        phase=phase,
        lists=[],
        counts={},
        requested_by="bureau",
        created_at=heartbeat_at,
        started_at=heartbeat_at,
        heartbeat_at=heartbeat_at,
    )


class TestRestart:
    async def test_start_up_fails_a_silent_job_and_leaves_another_replicas_live_one(
        self, fresh_database_url: str, jwks_json: str
    ) -> None:
        engine = create_engine(fresh_database_url)
        cut_off = running_job("matching", utcnow() - timedelta(minutes=10))
        live = running_job("writing", utcnow() - timedelta(seconds=5))  # beats elsewhere
        async with create_sessionmaker(engine)() as session:
            session.add_all([cut_off, live])
            await session.commit()
        app = create_app(
            AssistanceSettings(
                environment="test",
                secret_key=SecretStr(TEST_SECRET),
                pseudonym_key=SecretStr(TEST_PSEUDONYM_KEY),
                database_url=fresh_database_url,
                jwks_json=jwks_json,
                nats_url=None,
                identification_stale_seconds=120,
                **field_keys_for_tests(),
            )
        )

        async with app.router.lifespan_context(app):
            pass

        async with create_sessionmaker(engine)() as session:
            failed = await session.get(IdentificationJob, cut_off.id)
            running = await session.get(IdentificationJob, live.id)
        await engine.dispose()
        assert failed is not None
        assert running is not None
        assert (failed.status, failed.detail) == (
            "failed",
            "任务在 matching 阶段中断（所在服务进程已停止） / "
            "interrupted (its service process stopped) during phase matching",
        )
        assert failed.finished_at is not None
        assert (running.status, running.finished_at) == ("running", None)
