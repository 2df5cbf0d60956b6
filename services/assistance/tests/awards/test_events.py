"""Award events through the outbox to a real nats-server (both databases): one approval and one
payment → one message each on the ASSISTANCE stream, naming the child by student_key only."""

import json
from datetime import date
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from nats.js import JetStreamContext

from assistance.students.models import Student
from junheng_contracts.assistance import AwardApproved, DisbursementRecorded
from junheng_kit.identifiers import citizen_id_from_body, student_key
from junheng_kit.testing.plugin import (
    TEST_PSEUDONYM_KEY,
    TokenFactory,
    auth,
    eventually,
    stream_messages,
)


async def messages_about(js: JetStreamContext, subject: str, award_id: str) -> list[Any]:
    found = [json.loads(m.data) for m in await stream_messages(js, subject)]
    return [m for m in found if m["data"]["award_id"] == award_id]


async def test_approval_and_payment_are_published_once_without_personal_data(
    live_client: AsyncClient, live_app: FastAPI, js: JetStreamContext, token: TokenFactory
) -> None:
    body = f"150602{date(2013, 5, 4):%Y%m%d}271"
    citizen_id = citizen_id_from_body(body)
    async with live_app.state.sessionmaker() as session:
        student = Student(
            citizen_id=citizen_id,
            student_key=student_key(TEST_PSEUDONYM_KEY.encode(), citizen_id),
            name="赵小芳",
            gender="female",
            birth_date=date(2013, 5, 4),
            county_code="150602",
            school_code="2115060201",
            level="junior",
            grade=7,
            boarding=True,
        )
        session.add(student)
        await session.commit()
    headers = auth(token("assistance:read", "assistance:write"))
    created = await live_client.post(
        "/v1/awards",
        json={
            "student_id": str(student.id),
            "programme_code": "living_subsidy",
            "school_year": 2025,
            "category": "orphan",
            "amount_yuan": "1250.00",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    award_id = created.json()["id"]
    reviewed = await live_client.post(
        f"/v1/awards/{award_id}/review",
        json={"result": "approved", "reviewer": "王", "panel": ["王", "李"], "reasons": "孤儿"},
        headers=headers,
    )
    assert reviewed.status_code == 200, reviewed.text
    batch = await live_client.post(
        "/v1/publicity-batches",
        json={"county_code": "150602", "starts_on": "2025-09-30"},
        headers=headers,
    )
    assert batch.status_code == 201, batch.text
    approved = await live_client.post(
        f"/v1/awards/{award_id}/approval", json={"approved_on": "2025-10-14"}, headers=headers
    )
    assert approved.status_code == 200, approved.text
    paid = await live_client.post(
        "/v1/disbursements",
        json={
            "county_code": "150602",
            "paid_on": "2025-11-03",
            "channel": "bank_card",
            "items": [{"award_id": award_id, "amount_yuan": "625.00"}],
        },
        headers=headers,
    )
    assert paid.status_code == 201, paid.text

    async def both() -> tuple[list[Any], list[Any]] | None:
        approvals = await messages_about(js, "assistance.award.approved", award_id)
        payments = await messages_about(js, "assistance.disbursement.recorded", award_id)
        return (approvals, payments) if approvals and payments else None

    approvals, payments = await eventually(both)
    assert len(approvals) == 1
    assert len(payments) == 1
    approval = AwardApproved.model_validate(approvals[0])
    payment = DisbursementRecorded.model_validate(payments[0])
    assert (approval.jurisdiction, approval.subject) == ("150602", award_id)
    assert approval.data.student_key == student.student_key
    assert (str(approval.data.amount_yuan), approval.data.approved_on) == (
        "1250.00",
        date(2025, 10, 14),
    )
    assert (str(payment.data.amount_yuan), str(payment.data.paid_total_yuan)) == (
        "625.00",
        "625.00",
    )
    raw = json.dumps(approvals[0] | payments[0], ensure_ascii=False)
    for secret in (citizen_id, "赵小芳", "orphan"):
        assert secret not in raw
