"""应助尽助 jobs end to end on SQLite and PostgreSQL: lists planted in the agency tables, the
roster imported over HTTP, the job run by the service's runner; review decisions; coverage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.awards.models import Award
from assistance.awards.notices.models import StatusNotice
from assistance.identification.models import IdentificationJob
from junheng_kit.testing.plugin import TokenFactory

from .conftest import (
    AS_OF,
    JOB,
    JUNIOR,
    LI,
    PRIMARY,
    SUN_ELSEWHERE,
    headers,
    run_job,
    writer,
)

pytestmark = pytest.mark.usefixtures("schools")


class TestJob:
    async def test_a_job_proposes_queues_notices_and_counts(
        self,
        client: AsyncClient,
        app: FastAPI,
        session: AsyncSession,
        token: TokenFactory,
        county: dict[str, UUID],
    ) -> None:
        job = await run_job(client, app, token)

        assert (job["status"], job["phase"], job["detail"]) == ("succeeded", "done", None)
        assert job["counts"] == {
            "students": 6,
            "list_entries": 5,
            "auto_identified": 2,  # 王芳, 阿卜杜·热合曼
            "name_mismatches": 1,  # 李强 / 李刚
            "id_mismatches": 1,  # 孙悦 under another ID
            "review_items": 2,
            "proposed": 2,
            "notices": 1,  # 赵敏's 低保 ended 2026-06-30
            "priority_awards": 0,  # living subsidies only: it names no priority categories
            "eligible": 4,  # 王芳, 阿卜杜, 李强 (listed by ID), 赵敏 (holds an award)
            "awarded": 3,  # 王芳 and 阿卜杜 (proposed), 赵敏 (approved)
        }
        assert sorted(entry["agency"] for entry in job["lists"]) == ["cdpf", "mca", "nrra"]
        assert {entry["status"] for entry in job["lists"]} == {"stored"}
        awards = (
            await session.execute(
                select(Award.student_id, Award.category, Award.amount_yuan, Award.evidence)
                .where(Award.source == "auto")
                .order_by(Award.amount_yuan)
            )
        ).all()
        mca_list = next(e["list_ref"] for e in job["lists"] if e["agency"] == "mca")
        # domain.md §4.1: junior non-boarder 1250 × 50 % = 625; primary boarder 1000
        assert [tuple(a) for a in awards] == [
            (county["阿卜杜·热合曼"], "orphan", Decimal("625.00"), ["mca-3", mca_list]),
            (county["王芳"], "dibao", Decimal("1000.00"), ["mca-1", mca_list]),
        ]
        notices = (
            await session.execute(
                select(StatusNotice.student_id, StatusNotice.change, StatusNotice.grace_until)
            )
        ).all()
        # detected on the job's as_of (2026-09-01), payable 30 days more by default
        assert [tuple(n) for n in notices] == [(county["赵敏"], "lost", date(2026, 10, 1))]

    async def test_the_county_grace_period_setting_reaches_the_notices(
        self,
        client: AsyncClient,
        app: FastAPI,
        session: AsyncSession,
        token: TokenFactory,
        county: dict[str, UUID],
    ) -> None:
        app.state.settings = app.state.settings.model_copy(update={"notice_grace_days": 10})
        job = await run_job(client, app, token)
        assert job["counts"]["notices"] == 1
        grace = await session.scalar(
            select(StatusNotice.grace_until).where(StatusNotice.student_id == county["赵敏"])
        )
        assert grace == date(2026, 9, 11)

    async def test_coverage_per_school_and_county_by_hand(
        self, client: AsyncClient, app: FastAPI, token: TokenFactory, county: dict[str, UUID]
    ) -> None:
        job = await run_job(client, app, token)

        response = await client.get(
            "/v1/coverage?county_code=150602&school_year=2026",
            headers=headers(token, "assistance:read"),
        )

        body = response.json()
        # primary: 王芳 (auto, proposed), 赵敏 (school award), 钱多 → 3 / 2 / 1 / 2, gap 0
        # junior: 李强 (listed, review), 孙悦 (review only), 阿卜杜 (auto) → 3 / 2 / 1 / 1, gap 1
        assert body["per_school"] == [
            {
                "school_code": PRIMARY,
                "students": 3,
                "eligible": 2,
                "auto_identified": 1,
                "awarded": 2,
                "gap": 0,
                "coverage": 0.5,
            },
            {
                "school_code": JUNIOR,
                "students": 3,
                "eligible": 2,
                "auto_identified": 1,
                "awarded": 1,
                "gap": 1,
                "coverage": 0.5,
            },
        ]
        assert {k: body[k] for k in ("job_id", "students", "eligible", "awarded", "gap")} == {
            "job_id": job["id"],
            "students": 6,
            "eligible": 4,
            "awarded": 3,
            "gap": 1,
        }
        assert (body["auto_identified"], body["coverage"]) == (2, 0.5)

    async def test_a_second_job_neither_repeats_reviews_nor_proposals(
        self, client: AsyncClient, app: FastAPI, token: TokenFactory, county: dict[str, UUID]
    ) -> None:
        await run_job(client, app, token)
        again = await run_job(client, app, token)

        assert (again["counts"]["review_items"], again["counts"]["proposed"]) == (0, 0)
        assert again["counts"]["notices"] == 0  # 赵敏's notice is still open

    async def test_one_job_per_county_unless_the_running_one_lost_its_process(
        self,
        client: AsyncClient,
        app: FastAPI,
        session: AsyncSession,
        token: TokenFactory,
        county: dict[str, UUID],
    ) -> None:
        def running(heartbeat_at: datetime) -> IdentificationJob:
            return IdentificationJob(
                county_code="150602",
                school_year=2026,
                as_of=AS_OF,
                refresh_lists=False,
                purpose="应助尽助",
                legal_basis="财教〔2021〕310号",
                status="running",
                phase="loading",
                lists=[],
                counts={},
                requested_by="bureau",
                heartbeat_at=heartbeat_at,
            )

        live = running(datetime.now(UTC))
        session.add(live)
        await session.flush()
        refused = await client.post("/v1/identification-jobs", json=JOB, headers=writer(token))
        live.heartbeat_at = datetime.now(UTC) - timedelta(minutes=10)  # its process went away
        await session.flush()
        job = await run_job(client, app, token)

        assert refused.status_code == 409
        assert refused.json()["errors"][0]["rule"] == "one_job_per_county"
        assert job["status"] == "succeeded"
        await session.refresh(live)
        assert (live.status, live.phase) == ("failed", "loading")

    async def test_a_county_outside_the_jurisdiction_is_forbidden(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        response = await client.post(
            "/v1/identification-jobs", json={**JOB, "county_code": "150603"}, headers=writer(token)
        )

        assert response.status_code == 403
        assert response.json()["errors"][0]["field"] == "county_code"

    async def test_a_job_without_purpose_or_legal_basis_is_refused(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        response = await client.post(
            "/v1/identification-jobs",
            json={**JOB, "purpose": "", "legal_basis": ""},
            headers=writer(token),
        )

        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["purpose", "legal_basis"]

    async def test_another_county_cannot_read_the_job_or_the_coverage(
        self, client: AsyncClient, app: FastAPI, token: TokenFactory, county: dict[str, UUID]
    ) -> None:
        job = await run_job(client, app, token)
        neighbour = headers(token, "assistance:read", jurisdiction=("150603",))

        read = await client.get(f"/v1/identification-jobs/{job['id']}", headers=neighbour)
        coverage = await client.get(
            "/v1/coverage?county_code=150602&school_year=2026", headers=neighbour
        )

        assert read.status_code == 404
        assert coverage.status_code == 403

    async def test_a_school_year_out_of_range_is_422_naming_the_parameter(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        # found by fuzzing: a 21-digit year reached the database and failed there (a 500)
        response = await client.get(
            "/v1/coverage?county_code=150602&school_year=-134953190317399212032",
            headers=headers(token, "assistance:read"),
        )

        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("query.school_year", "greater_than_equal")
        ]

    async def test_no_finished_job_no_coverage(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        response = await client.get(
            "/v1/coverage?county_code=150602&school_year=2026",
            headers=headers(token, "assistance:read"),
        )

        assert response.status_code == 404


class TestReview:
    async def review_items(
        self, client: AsyncClient, token: TokenFactory, scopes: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        response = await client.get("/v1/review-items", headers=headers(token, *scopes))
        return sorted(response.json()["items"], key=lambda i: i["kind"])

    async def test_partial_matches_are_queued_and_masked_without_pii(
        self, client: AsyncClient, app: FastAPI, token: TokenFactory, county: dict[str, UUID]
    ) -> None:
        await run_job(client, app, token)

        full = await self.review_items(client, token, ("assistance:read", "assistance:pii"))
        masked = await self.review_items(client, token, ("assistance:read",))

        assert [
            (i["kind"], i["student_name"], i["list_name"], i["list_citizen_id"], i["category"])
            for i in full
        ] == [
            ("id_mismatch", "孙悦", "孙悦", SUN_ELSEWHERE, "monitored_relapse"),
            ("name_mismatch", "李强", "李刚", LI, "disabled_student"),
        ]
        assert [
            (i["student_name"], i["list_name"], i["list_citizen_id"], i["category"]) for i in masked
        ] == [
            ("孙*", "孙*", SUN_ELSEWHERE[:6] + "********" + SUN_ELSEWHERE[-4:], None),
            ("李*", "李*", LI[:6] + "********" + LI[-4:], None),
        ]

    async def test_confirming_proposes_the_award_with_the_list_entry_as_evidence(
        self,
        client: AsyncClient,
        app: FastAPI,
        session: AsyncSession,
        token: TokenFactory,
        county: dict[str, UUID],
    ) -> None:
        await run_job(client, app, token)
        item = (await self.review_items(client, token, ("assistance:read",)))[1]

        response = await client.post(
            f"/v1/review-items/{item['id']}/decision",
            json={"decision": "confirm", "reason": "户籍照片核对: 李刚为曾用名"},
            headers=writer(token),
        )

        assert response.status_code == 200
        assert (response.json()["status"], response.json()["proposed_awards"]) == ("confirmed", 1)
        award = (
            await session.execute(
                select(Award.category, Award.amount_yuan, Award.evidence).where(
                    Award.student_id == county["李强"]
                )
            )
        ).one()
        assert tuple(award) == (
            "disabled_student",
            Decimal("625.00"),
            ["cdpf-1", item["list_ref"]],
        )
        again = await run_job(client, app, token)
        assert (again["counts"]["eligible"], again["counts"]["awarded"]) == (4, 4)

    async def test_a_rejection_needs_a_reason_and_an_item_is_decided_once(
        self, client: AsyncClient, app: FastAPI, token: TokenFactory, county: dict[str, UUID]
    ) -> None:
        await run_job(client, app, token)
        item = (await self.review_items(client, token, ("assistance:read",)))[0]
        url = f"/v1/review-items/{item['id']}/decision"

        no_reason = await client.post(url, json={"decision": "reject"}, headers=writer(token))
        rejected = await client.post(
            url,
            json={"decision": "reject", "reason": "出生地不同, 非同一人"},
            headers=writer(token),
        )
        twice = await client.post(
            url, json={"decision": "confirm", "reason": "x"}, headers=writer(token)
        )

        assert no_reason.status_code == 422
        assert [(e["field"], e["rule"]) for e in no_reason.json()["errors"]] == [
            ("reason", "reason_required")
        ]
        assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
        assert twice.status_code == 409
        assert twice.json()["errors"][0]["rule"] == "review_open"

    async def test_another_county_cannot_decide_dongsheng_items(
        self, client: AsyncClient, app: FastAPI, token: TokenFactory, county: dict[str, UUID]
    ) -> None:
        await run_job(client, app, token)
        item = (await self.review_items(client, token, ("assistance:read",)))[0]

        response = await client.post(
            f"/v1/review-items/{item['id']}/decision",
            json={"decision": "confirm"},
            headers=writer(token, jurisdiction=("150603",)),
        )

        assert response.status_code == 404
