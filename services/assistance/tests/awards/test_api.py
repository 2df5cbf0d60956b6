"""The award workflow over HTTP on both databases: application, review, 公示, objections,
approval, disbursement, notices, transfers, programmes and the calendar."""

from datetime import date
from typing import Any
from uuid import UUID

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.awards.models import Award
from assistance.awards.disbursement.models import Disbursement
from assistance.awards.notices.rules import StatusChange
from assistance.awards.notices.service import raise_status_notices
from assistance.schools.models import School
from junheng_contracts.enrollment import SchoolData
from junheng_kit.school_directory import apply_school_state
from junheng_kit.tables import OutboxMessage
from junheng_kit.testing.plugin import TokenFactory, auth

from .conftest import MakeStudent

WRITE = ("assistance:read", "assistance:write")


@pytest.fixture
def writer(token: TokenFactory) -> dict[str, Any]:
    return auth(token(*WRITE))


@pytest.fixture
def pii_writer(token: TokenFactory) -> dict[str, Any]:
    return auth(token(*WRITE, "assistance:pii"))


def application(student_id: object, **overrides: Any) -> dict[str, Any]:
    return {
        "student_id": str(student_id),
        "programme_code": "living_subsidy",
        "school_year": 2025,
        "category": "dibao",
        "amount_yuan": "625.00",
        "reason": "低保家庭, 民政 record",
    } | overrides


REVIEW = {
    "result": "approved",
    "reviewer": "王老师",
    "panel": ["王老师", "李老师", "家长代表"],
    "reasons": "低保证明核实",
}


async def outbox(session: AsyncSession, subject: str) -> int:
    query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.subject == subject)
    return int(await session.scalar(query) or 0)


async def reviewed_award(
    client: AsyncClient, headers: dict[str, Any], make_student: MakeStudent, **student: Any
) -> dict[str, Any]:
    pupil = await make_student(**student)
    created = await client.post("/v1/awards", json=application(pupil.id), headers=headers)
    assert created.status_code == 201, created.text
    reviewed = await client.post(
        f"/v1/awards/{created.json()['id']}/review",
        json=REVIEW,
        headers={**headers, "If-Match": created.headers["ETag"]},
    )
    assert reviewed.status_code == 200, reviewed.text
    return dict(reviewed.json())


class TestApplication:
    async def test_a_junior_non_boarder_is_awarded_625_with_a_history(
        self, client: AsyncClient, writer: dict[str, Any], make_student: MakeStudent
    ) -> None:
        pupil = await make_student(level="junior", boarding=False)
        response = await client.post("/v1/awards", json=application(pupil.id), headers=writer)
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["amount_yuan"], body["status"], body["source"]) == (
            "625.00",
            "applied",
            "school",
        )
        assert body["standard_id"] == "0193a000-0000-7000-8000-000000000001"
        assert response.headers["ETag"] == '"1"'
        history = await client.get(f"/v1/awards/{body['id']}/history", headers=writer)
        assert [(h["from_status"], h["to_status"]) for h in history.json()["items"]] == [
            (None, "applied")
        ]

    async def test_an_amount_other_than_the_standard_is_422_and_writes_nothing(
        self,
        client: AsyncClient,
        writer: dict[str, Any],
        make_student: MakeStudent,
        session: AsyncSession,
    ) -> None:
        pupil = await make_student(level="junior", boarding=False)
        response = await client.post(
            "/v1/awards", json=application(pupil.id, amount_yuan="1250.00"), headers=writer
        )
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert (error["field"], error["rule"]) == ("amount_yuan", "amount_matches_standard")
        assert "的金额为 625.00" in error["message"]
        assert await session.scalar(select(func.count()).select_from(Award)) == 0

    @pytest.mark.parametrize(
        ("overrides", "field", "rule"),
        [
            ({"programme_code": "space_travel"}, "programme_code", "programme_known"),
            ({"programme_code": "lodging_subsidy"}, "programme_code", "standard_in_force"),
            ({"school_year": 2018}, "programme_code", "programme_known"),
            ({"category": "wizard"}, "category", "category_known"),
            ({"tier": "top"}, "tier", "tier_known"),
            ({"amount_yuan": "-1"}, "amount_yuan", "greater_than_equal"),
        ],
    )
    async def test_bad_applications_name_the_field_and_rule(
        self,
        client: AsyncClient,
        writer: dict[str, Any],
        make_student: MakeStudent,
        overrides: dict[str, Any],
        field: str,
        rule: str,
    ) -> None:
        pupil = await make_student(boarding=True)
        body = application(pupil.id, amount_yuan="1250.00") | overrides
        response = await client.post("/v1/awards", json=body, headers=writer)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert (response.json()["errors"][0]["field"], response.json()["errors"][0]["rule"]) == (
            field,
            rule,
        )

    async def test_a_student_of_another_county_is_403(
        self, client: AsyncClient, writer: dict[str, Any], make_student: MakeStudent
    ) -> None:
        pupil = await make_student(county_code="150603", school_code="2115060301")
        response = await client.post("/v1/awards", json=application(pupil.id), headers=writer)
        assert response.status_code == 403
        assert response.json()["errors"][0] == {
            "field": "student_id",
            "rule": "jurisdiction",
            "message": "令牌的管辖区域为 150602",
        }

    async def test_a_second_award_of_the_programme_in_a_year_is_409(
        self, client: AsyncClient, writer: dict[str, Any], make_student: MakeStudent
    ) -> None:
        pupil = await make_student()
        first = await client.post("/v1/awards", json=application(pupil.id), headers=writer)
        again = await client.post("/v1/awards", json=application(pupil.id), headers=writer)
        assert (first.status_code, again.status_code) == (201, 409)
        assert again.json()["errors"][0]["rule"] == "award_unique"


class TestMasking:
    async def test_without_pii_the_name_id_and_category_are_hidden(
        self,
        client: AsyncClient,
        writer: dict[str, Any],
        pii_writer: dict[str, Any],
        make_student: MakeStudent,
    ) -> None:
        pupil = await make_student(name="张三丰")
        created = (
            await client.post("/v1/awards", json=application(pupil.id), headers=writer)
        ).json()
        masked = (await client.get(f"/v1/awards/{created['id']}", headers=writer)).json()
        full = (await client.get(f"/v1/awards/{created['id']}", headers=pii_writer)).json()
        assert (masked["student_name"], masked["category"]) == ("张*", None)
        assert masked["citizen_id"] == pupil.citizen_id[:6] + "********" + pupil.citizen_id[-4:]
        assert (full["student_name"], full["citizen_id"], full["category"]) == (
            "张三丰",
            pupil.citizen_id,
            "dibao",
        )


class TestWorkflow:
    async def test_one_award_through_review_publicity_objection_approval_and_payment(
        self,
        client: AsyncClient,
        writer: dict[str, Any],
        make_student: MakeStudent,
        session: AsyncSession,
    ) -> None:
        award = await reviewed_award(client, writer, make_student, name="李小龙")
        assert (award["status"], award["version"]) == ("reviewed", 2)
        batch = await client.post(
            "/v1/publicity-batches",
            json={"county_code": "150602", "starts_on": "2025-09-30", "award_ids": [award["id"]]},
            headers=writer,
        )
        assert batch.status_code == 201, batch.text
        # 国庆/中秋 2025 and the 10-11 调休 Saturday, from the seeded State Council calendar
        assert (batch.json()["ends_on"], batch.json()["working_days"]) == ("2025-10-13", 5)
        assert batch.json()["calendar_note"] is None
        batch_id = batch.json()["id"]

        public = (await client.get(f"/v1/publicity-batches/{batch_id}/list", headers=writer)).json()
        assert [(e["student_name"], e["category"], e["amount_yuan"]) for e in public["items"]] == [
            ("李*", None, "625.00")
        ]

        objection = await client.post(
            f"/v1/publicity-batches/{batch_id}/objections",
            json={"award_id": award["id"], "received_on": "2025-10-09", "summary": "家庭有车"},
            headers=writer,
        )
        assert objection.status_code == 201, objection.text
        approve = f"/v1/awards/{award['id']}/approval"
        blocked = await client.post(approve, json={"approved_on": "2025-10-14"}, headers=writer)
        assert (blocked.status_code, blocked.json()["errors"][0]["rule"]) == (409, "objection_open")
        resolved = await client.post(
            f"/v1/objections/{objection.json()['id']}/resolution",
            json={"outcome": "dismissed", "resolution": "车辆为营运用途, 核实无误"},
            headers=writer,
        )
        assert resolved.json()["status"] == "dismissed"

        early = await client.post(approve, json={"approved_on": "2025-10-13"}, headers=writer)
        assert (early.status_code, early.json()["errors"][0]["rule"]) == (
            409,
            "publicity_not_ended",
        )
        assert await outbox(session, "assistance.award.approved") == 0
        approved = await client.post(approve, json={"approved_on": "2025-10-14"}, headers=writer)
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "approved"
        assert await outbox(session, "assistance.award.approved") == 1

        paid = await client.post(
            "/v1/disbursements",
            json={
                "county_code": "150602",
                "paid_on": "2025-11-05",
                "channel": "social_security_card",
                "items": [{"award_id": award["id"], "amount_yuan": "312.50"}],
            },
            headers=writer,
        )
        assert paid.status_code == 201, paid.text
        assert paid.json()["total_yuan"] == "312.50"
        over = await client.post(
            "/v1/disbursements",
            json={
                "county_code": "150602",
                "paid_on": "2026-03-05",
                "channel": "bank_card",
                "items": [{"award_id": award["id"], "amount_yuan": "312.51"}],
            },
            headers=writer,
        )
        assert over.status_code == 422
        assert over.json()["errors"][0] == {
            "field": "items[0].amount_yuan",
            "rule": "amount_within_remaining",
            "message": "625.00 中还剩 312.50 待发放",
        }
        assert await session.scalar(select(func.count()).select_from(Disbursement)) == 1
        rest = await client.post(
            "/v1/disbursements",
            json={
                "county_code": "150602",
                "paid_on": "2026-03-05",
                "channel": "bank_card",
                "items": [{"award_id": award["id"], "amount_yuan": "312.50"}],
            },
            headers=writer,
        )
        assert rest.status_code == 201
        final = (await client.get(f"/v1/awards/{award['id']}", headers=writer)).json()
        assert (final["status"], final["paid_yuan"]) == ("paid", "625.00")
        assert await outbox(session, "assistance.disbursement.recorded") == 2
        history = (await client.get(f"/v1/awards/{award['id']}/history", headers=writer)).json()
        assert [h["to_status"] for h in history["items"]] == [
            "applied",
            "reviewed",
            "in_publicity",
            "in_publicity",  # objection recorded
            "in_publicity",  # objection dismissed
            "approved",
            "approved",  # first half paid
            "paid",
        ]

    async def test_approving_without_review_is_409_review_required(
        self, client: AsyncClient, writer: dict[str, Any], make_student: MakeStudent
    ) -> None:
        pupil = await make_student()
        created = (
            await client.post("/v1/awards", json=application(pupil.id), headers=writer)
        ).json()
        response = await client.post(
            f"/v1/awards/{created['id']}/approval", json={}, headers=writer
        )
        assert (response.status_code, response.json()["errors"][0]["rule"]) == (
            409,
            "review_required",
        )

    async def test_a_publicity_shorter_than_5_working_days_is_422_and_lists_nothing(
        self,
        client: AsyncClient,
        writer: dict[str, Any],
        make_student: MakeStudent,
        session: AsyncSession,
    ) -> None:
        award = await reviewed_award(client, writer, make_student)
        response = await client.post(
            "/v1/publicity-batches",
            json={"county_code": "150602", "starts_on": "2025-09-30", "ends_on": "2025-10-10"},
            headers=writer,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "publicity_5_working_days"
        stored = await session.get(Award, UUID(award["id"]), populate_existing=True)
        assert stored is not None
        assert stored.status == "reviewed"

    async def test_a_publicity_of_years_is_refused_by_the_schema(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        response = await client.post(
            "/v1/publicity-batches",
            json={"county_code": "150602", "starts_on": "2025-09-30", "ends_on": "2099-01-01"},
            headers=writer,
        )
        assert (response.status_code, response.json()["errors"][0]["rule"]) == (
            422,
            "publicity_within_a_year",
        )

    async def test_the_2026_calendar_counts_its_holidays_and_make_up_sundays(
        self, client: AsyncClient, writer: dict[str, Any], make_student: MakeStudent
    ) -> None:
        """国务院办公厅关于2026年部分节假日安排的通知: 元旦 01-01..01-03 off, 01-04 (Sunday)
        worked. From 2026-01-02 (a holiday) five working days are 01-04, 01-05, 01-06, 01-07,
        01-08."""
        await reviewed_award(client, writer, make_student)
        response = await client.post(
            "/v1/publicity-batches",
            json={"county_code": "150602", "school_code": "2115060201", "starts_on": "2026-01-02"},
            headers=writer,
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["ends_on"], body["working_days"], body["awards"]) == ("2026-01-08", 5, 1)
        assert body["calendar_note"] is None

    async def test_a_spring_festival_week_is_not_five_working_days(
        self, client: AsyncClient, writer: dict[str, Any], make_student: MakeStudent
    ) -> None:
        """2026 春节 02-15..02-23 off, 02-14 (Saturday) worked: 02-13..02-24 holds 02-13, 02-14
        and 02-24 — three working days; the earliest end for five is 02-26."""
        await reviewed_award(client, writer, make_student)
        response = await client.post(
            "/v1/publicity-batches",
            json={"county_code": "150602", "starts_on": "2026-02-13", "ends_on": "2026-02-24"},
            headers=writer,
        )
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert (error["field"], error["rule"]) == ("ends_on", "publicity_5_working_days")
        assert "有 3 个工作日" in error["message"]
        assert "最早结束于 2026-02-26" in error["message"]

    async def test_a_year_without_a_calendar_is_refused_naming_it(
        self, client: AsyncClient, writer: dict[str, Any], make_student: MakeStudent
    ) -> None:
        award = await reviewed_award(client, writer, make_student)
        for starts_on, ends_on, field in (
            ("2027-03-01", None, "starts_on"),
            ("2026-12-28", "2027-01-08", "ends_on"),
        ):
            response = await client.post(
                "/v1/publicity-batches",
                json={"county_code": "150602", "starts_on": starts_on, "ends_on": ends_on},
                headers=writer,
            )
            assert response.status_code == 422, response.text
            error = response.json()["errors"][0]
            assert (error["field"], error["rule"]) == (field, "calendar_known")
            assert "2027" in response.json()["detail"]
        listed = await client.get(f"/v1/awards/{award['id']}", headers=writer)
        assert listed.json()["status"] == "reviewed"  # on no list

    async def test_a_stale_if_match_is_412(
        self, client: AsyncClient, writer: dict[str, Any], make_student: MakeStudent
    ) -> None:
        pupil = await make_student()
        created = (
            await client.post("/v1/awards", json=application(pupil.id), headers=writer)
        ).json()
        response = await client.post(
            f"/v1/awards/{created['id']}/review", json=REVIEW, headers={**writer, "If-Match": '"7"'}
        )
        assert (response.status_code, response.json()["errors"][0]["rule"]) == (
            412,
            "version_current",
        )


class TestDisbursementBatch:
    async def test_one_bad_line_writes_no_payment_at_all(
        self,
        client: AsyncClient,
        writer: dict[str, Any],
        make_student: MakeStudent,
        session: AsyncSession,
    ) -> None:
        first = await reviewed_award(client, writer, make_student)
        second = await reviewed_award(client, writer, make_student)
        unapproved = await reviewed_award(client, writer, make_student)
        batch = await client.post(
            "/v1/publicity-batches",
            json={
                "county_code": "150602",
                "starts_on": "2025-09-30",
                "award_ids": [first["id"], second["id"]],
            },
            headers=writer,
        )
        approval = await client.post(
            f"/v1/publicity-batches/{batch.json()['id']}/approval",
            json={"approved_on": "2025-10-14"},
            headers=writer,
        )
        assert approval.json()["awards"] == 2
        lines = [
            {"award_id": first["id"], "amount_yuan": "312.50"},
            {"award_id": second["id"], "amount_yuan": "700.00"},
        ]
        body = {"county_code": "150602", "paid_on": "2025-11-05", "channel": "cash"}
        over = await client.post("/v1/disbursements", json=body | {"items": lines}, headers=writer)
        assert (over.status_code, [e["field"] for e in over.json()["errors"]]) == (
            422,
            ["items[1].amount_yuan"],
        )
        not_approved = await client.post(
            "/v1/disbursements",
            json=body
            | {"items": [lines[0], {"award_id": unapproved["id"], "amount_yuan": "1.00"}]},
            headers=writer,
        )
        assert (not_approved.status_code, not_approved.json()["errors"][0]["rule"]) == (
            409,
            "award_approved",
        )
        twice = await client.post(
            "/v1/disbursements", json=body | {"items": [lines[0], lines[0]]}, headers=writer
        )
        assert twice.json()["errors"][0]["rule"] == "award_once_per_batch"
        assert await session.scalar(select(func.count()).select_from(Disbursement)) == 0
        assert await outbox(session, "assistance.disbursement.recorded") == 0
        assert await outbox(session, "assistance.award.approved") == 2

    async def test_a_foreign_cursor_is_422(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        response = await client.get("/v1/awards?cursor=bm90LWEtdXVpZA", headers=writer)
        assert (response.status_code, response.json()["errors"][0]["rule"]) == (
            422,
            "cursor_invalid",
        )


class TestNotices:
    async def test_payments_stop_after_the_grace_period_unless_appealed(
        self,
        client: AsyncClient,
        writer: dict[str, Any],
        make_student: MakeStudent,
        session: AsyncSession,
    ) -> None:
        award = await reviewed_award(client, writer, make_student)
        batch = await client.post(
            "/v1/publicity-batches",
            json={"county_code": "150602", "starts_on": "2025-09-30"},
            headers=writer,
        )
        await client.post(
            f"/v1/publicity-batches/{batch.json()['id']}/approval",
            json={"approved_on": "2025-10-20"},
            headers=writer,
        )
        student_id = UUID(award["student_id"])
        change = StatusChange(student_id, None, "dibao", "lost", "mca", date(2025, 11, 1))
        assert await raise_status_notices(session, actor="job", changes=[change]) == 1
        await session.flush()

        def payment(paid_on: str) -> dict[str, Any]:
            return {
                "county_code": "150602",
                "paid_on": paid_on,
                "channel": "cash",
                "items": [{"award_id": award["id"], "amount_yuan": "100.00"}],
            }

        within = await client.post("/v1/disbursements", json=payment("2025-12-01"), headers=writer)
        after = await client.post("/v1/disbursements", json=payment("2025-12-02"), headers=writer)
        assert within.status_code == 201, within.text
        assert (after.status_code, after.json()["errors"][0]["rule"]) == (
            409,
            "grace_period_ended",
        )
        notices = (await client.get(f"/v1/notices?student_id={student_id}", headers=writer)).json()
        assert [(n["change"], n["grace_until"], n["category"]) for n in notices["items"]] == [
            ("lost", "2025-12-01", None)
        ]
        notice_id = notices["items"][0]["id"]
        appealed = await client.post(
            f"/v1/notices/{notice_id}/appeal", json={"reason": "低保已续办"}, headers=writer
        )
        assert appealed.json()["status"] == "appealed"
        again = await client.post("/v1/disbursements", json=payment("2025-12-02"), headers=writer)
        assert again.status_code == 201, again.text


async def register_school(
    session: AsyncSession, code: str, county: str, levels: list[str], number: int = 1
) -> None:
    """A school in the school copy, as enrollment's event would place it."""
    await apply_school_state(
        session,
        School,
        SchoolData(
            school_code=code,
            name=f"学校{code}",
            levels=levels,  # type: ignore[arg-type]
            county_code=county,
            longitude=109.98,
            latitude=39.82,
            planned_capacity=1200,
            version=1,
        ),
        f"transfer-school-{code}-{number}",
    )


class TestTransfers:
    async def test_both_counties_read_the_history_and_only_the_new_one_applies(
        self,
        client: AsyncClient,
        session: AsyncSession,
        token: TokenFactory,
        make_student: MakeStudent,
    ) -> None:
        dongsheng = auth(token(*WRITE))
        other = auth(token(*WRITE, jurisdiction=("150603",)))
        await register_school(session, "2115060301", "150603", ["nine_year"])
        await session.flush()
        pupil = await make_student()
        created = (
            await client.post("/v1/awards", json=application(pupil.id), headers=dongsheng)
        ).json()
        moved = await client.post(
            f"/v1/students/{pupil.id}/transfers",
            json={"to_county_code": "150603", "to_school_code": "2115060301", "on": "2026-02-20"},
            headers=dongsheng,
        )
        assert moved.status_code == 201, moved.text
        for headers in (dongsheng, other):
            seen = await client.get(f"/v1/awards?student_id={pupil.id}", headers=headers)
            assert [a["id"] for a in seen.json()["items"]] == [created["id"]]
        next_year = application(pupil.id, school_year=2026)
        refused = await client.post("/v1/awards", json=next_year, headers=dongsheng)
        accepted = await client.post("/v1/awards", json=next_year, headers=other)
        assert (refused.status_code, accepted.status_code) == (403, 201)
        assert accepted.json()["county_code"] == "150603"

    @pytest.mark.parametrize(
        ("to_county", "to_school", "field", "rule"),
        [
            ("150603", "2115069999", "to_school_code", "school_registered"),
            ("150603", "3115060399", "to_school_code", "school_in_county"),  # a 150621 school
            ("150603", "2115060398", "to_school_code", "school_teaches_level"),  # primary only
        ],
    )
    async def test_the_receiving_school_must_exist_in_its_county_and_teach_the_level(
        self,
        client: AsyncClient,
        session: AsyncSession,
        writer: dict[str, Any],
        make_student: MakeStudent,
        to_county: str,
        to_school: str,
        field: str,
        rule: str,
    ) -> None:
        await register_school(session, "3115060399", "150621", ["junior"])
        await register_school(session, "2115060398", "150603", ["primary"])
        await session.flush()
        pupil = await make_student(level="junior")
        refused = await client.post(
            f"/v1/students/{pupil.id}/transfers",
            json={"to_county_code": to_county, "to_school_code": to_school, "on": "2026-02-20"},
            headers=writer,
        )
        assert refused.status_code == 422, refused.text
        assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [(field, rule)]
        await session.refresh(pupil)
        assert (pupil.county_code, pupil.school_code) == ("150602", "2115060201")
        listed = await client.get(f"/v1/students/{pupil.id}/transfers", headers=writer)
        assert listed.json()["items"] == []

    async def test_only_the_sending_county_moves_a_student(
        self,
        client: AsyncClient,
        session: AsyncSession,
        token: TokenFactory,
        make_student: MakeStudent,
    ) -> None:
        await register_school(session, "2115060301", "150603", ["nine_year"])
        await session.flush()
        pupil = await make_student()
        receiving = auth(token(*WRITE, jurisdiction=("150603",)))
        refused = await client.post(
            f"/v1/students/{pupil.id}/transfers",
            json={"to_county_code": "150603", "to_school_code": "2115060301", "on": "2026-02-20"},
            headers=receiving,
        )
        assert refused.status_code == 403, refused.text
        assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [
            ("student_id", "jurisdiction")
        ]

    async def test_a_third_county_sees_nothing(
        self,
        client: AsyncClient,
        token: TokenFactory,
        writer: dict[str, Any],
        make_student: MakeStudent,
    ) -> None:
        pupil = await make_student()
        created = (
            await client.post("/v1/awards", json=application(pupil.id), headers=writer)
        ).json()
        stranger = auth(token(*WRITE, jurisdiction=("220822",)))
        response = await client.get(f"/v1/awards/{created['id']}", headers=stranger)
        listed = await client.get("/v1/awards", headers=stranger)
        assert (response.status_code, listed.json()["items"]) == (404, [])


class TestProgrammes:
    async def test_the_national_catalogue_is_seeded_with_sources(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        listed = (await client.get("/v1/programmes", headers=writer)).json()["items"]
        codes = {p["code"]: p for p in listed}
        assert set(codes) >= {
            "living_subsidy",
            "nutrition_programme",
            "free_textbooks",
            "tuition_fee_waiver",
            "lodging_subsidy",
            "disabled_pupil_subsidy",
        }
        assert codes["living_subsidy"]["auto"] is True
        assert codes["living_subsidy"]["publicity_shows_category"] is False
        standards = (
            await client.get(
                "/v1/programmes/nutrition_programme/standards?county_code=150602&on=2025-09-01",
                headers=writer,
            )
        ).json()
        assert standards["items"][0]["days_per_year"] == 200
        assert standards["in_force"] == standards["items"][0]["id"]

    async def test_a_county_standard_enables_lodging_awards_and_never_reprices_old_ones(
        self, client: AsyncClient, writer: dict[str, Any], make_student: MakeStudent
    ) -> None:
        standard = {
            "scope_code": "150602",
            "effective_from": "2025-09-01",
            "rates": [{"boarding": True, "amount_yuan": "800"}],
            "source": "东胜区教体局 2025 寄宿生住宿费补助标准 (test)",
        }
        first = await client.put(
            "/v1/programmes/lodging_subsidy/standards", json=standard, headers=writer
        )
        assert first.status_code == 201, first.text
        pupil = await make_student(boarding=True)
        body = application(pupil.id, programme_code="lodging_subsidy", amount_yuan="800.00")
        award = await client.post("/v1/awards", json=body, headers=writer)
        assert award.status_code == 201, award.text
        raised = standard | {
            "effective_from": "2026-09-01",
            "rates": [{"boarding": True, "amount_yuan": "900"}],
        }
        assert (
            await client.put(
                "/v1/programmes/lodging_subsidy/standards", json=raised, headers=writer
            )
        ).status_code == 201
        again = (await client.get(f"/v1/awards/{award.json()['id']}", headers=writer)).json()
        assert (again["amount_yuan"], again["standard_id"]) == ("800.00", first.json()["id"])

    async def test_bad_standards_and_national_programmes_are_refused(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        bad = {
            "scope_code": "150602",
            "effective_from": "2025-09-01",
            "unit": "per_day",
            "rates": [{"amount_yuan": "5"}],
            "source": "test",
        }
        response = await client.put(
            "/v1/programmes/nutrition_programme/standards", json=bad, headers=writer
        )
        assert response.json()["errors"][0]["rule"] == "days_per_year_required"
        national = await client.put(
            "/v1/programmes/living_subsidy",
            json={
                "name": "x",
                "scope_code": "150602",
                "effective_from": "2026-09-01",
                "source": "x",
            },
            headers=writer,
        )
        assert (national.status_code, national.json()["errors"][0]["rule"]) == (
            403,
            "national_catalogue",
        )

    async def test_a_local_programme_gets_versions(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        body = {
            "name": "东胜区寄宿生交通补助",
            "scope_code": "150602",
            "eligible_categories": ["dibao", "tekun"],
            "effective_from": "2025-09-01",
            "source": "东胜区 test",
        }
        v1 = await client.put("/v1/programmes/dongsheng_transport", json=body, headers=writer)
        v2 = await client.put(
            "/v1/programmes/dongsheng_transport",
            json=body | {"auto": True, "effective_from": "2026-09-01"},
            headers=writer,
        )
        assert (v1.json()["version"], v2.json()["version"]) == (1, 2)
        on = await client.get("/v1/programmes/dongsheng_transport?on=2026-01-01", headers=writer)
        assert (on.json()["version"], on.json()["auto"]) == (1, False)
        versions = await client.get("/v1/programmes/dongsheng_transport/versions", headers=writer)
        assert [v["version"] for v in versions.json()["items"]] == [1, 2]
        bad = await client.put(
            "/v1/programmes/dongsheng_transport",
            json=body | {"eligible_categories": ["rich"]},
            headers=writer,
        )
        assert bad.json()["errors"][0]["rule"] == "category_known"


class TestCalendar:
    async def test_the_2025_calendar_is_seeded_from_the_state_council_notice(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        body = (await client.get("/v1/calendars/2025", headers=writer)).json()
        assert "国办发明电〔2024〕12号" in body["source"]
        assert body["working_days"] == [
            "2025-01-26",
            "2025-02-08",
            "2025-04-27",
            "2025-09-28",
            "2025-10-11",
        ]
        assert len(body["holidays"]) == 1 + 8 + 3 + 5 + 3 + 8

    async def test_a_weekday_make_up_day_is_refused(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        response = await client.put(
            "/v1/calendars/2027",
            json={"holidays": ["2027-01-01"], "working_days": ["2027-01-04"], "source": "test"},
            headers=writer,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0] == {
            "field": "working_days[0]",
            "rule": "make_up_day_is_weekend",
            "message": "2027-01-04 是工作日",
        }
