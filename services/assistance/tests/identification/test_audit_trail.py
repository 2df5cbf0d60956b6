"""Issue 20 item 1 in assistance: the roster's reads, searches and registrations and the access
log are in the service's audit trail (junheng_kit.audit) with the child's pseudonymous key —
the same key enrollment records, so one child's trail is found in both."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from junheng_kit.identifiers import citizen_id_from_body as cid
from junheng_kit.identifiers import student_key
from junheng_kit.testing.plugin import TokenFactory, auth

from .conftest import PRIMARY, writer

pytestmark = pytest.mark.usefixtures("schools")

WANG = cid("15060220150301002")


async def test_a_childs_roster_row_read_searched_and_its_access_log_are_in_the_trail(
    client: AsyncClient, token: TokenFactory
) -> None:
    body = {
        "citizen_id": WANG,
        "name": "王芳",
        "school_code": PRIMARY,
        "level": "primary",
        "grade": 5,
    }
    created = await client.post("/v1/students", json=body, headers=writer(token))
    assert created.status_code == 201, created.text
    student_id = created.json()["id"]
    pii = auth(token("assistance:read", "assistance:pii"), **{"X-On-Behalf-Of": "teacher-9"})
    assert (await client.get(f"/v1/students/{student_id}", headers=pii)).status_code == 200
    assert (
        await client.post("/v1/students/search", json={"citizen_id": WANG}, headers=pii)
    ).status_code == 200
    refused = await client.post(
        "/v1/students/search", json={"citizen_id": WANG}, headers=auth(token("assistance:read"))
    )
    assert refused.status_code == 403
    assert (
        await client.get(f"/v1/students/{student_id}/access-log", headers=pii)
    ).status_code == 200

    key = student_key(b"test-only-pseudonym-key", WANG)
    trail = await client.get(
        "/v1/audit", params={"student_key": key}, headers=auth(token("audit:read"))
    )
    assert trail.status_code == 200
    rows = [(e["kind"], e["action"], e["outcome"]) for e in reversed(trail.json()["items"])]
    assert rows == [
        ("student", "create", "ok"),
        ("student", "read", "ok"),
        ("student", "search", "ok"),
        ("access_log", "read", "ok"),
    ]
    assert trail.json()["items"][1]["on_behalf_of"] == "teacher-9"
    everything = (await client.get("/v1/audit", headers=auth(token("audit:read")))).json()
    denied = [e for e in everything["items"] if e["outcome"] == "denied"]
    assert [(e["kind"], e["action"], e["student_keys"]) for e in denied] == [
        ("student", "search", [])  # refused before the child was looked up: no key
    ]
