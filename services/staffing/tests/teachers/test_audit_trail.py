"""Issue 20 item 1 in staffing: a teacher's record (citizen ID, name, birth date) registered,
read, listed and changed is in the service's audit trail (junheng_kit.audit); the county's
policy values as administrative acts."""

from typing import Any

import pytest
from httpx import AsyncClient

from junheng_kit.testing.plugin import TokenFactory, auth

from .conftest import teacher

pytestmark = pytest.mark.usefixtures("schools")


async def test_a_teachers_record_is_in_the_trail_and_the_list_is_recorded_masked(
    client: AsyncClient,
    writer: dict[str, Any],
    reader: dict[str, Any],
    pii_writer: dict[str, str],
    token: TokenFactory,
) -> None:
    """What each answer showed is what its entry says: the citizen ID masked for a client
    without `staffing:pii` (the create, the list), in full (sensitive) for one with it."""
    created = await client.post("/v1/teachers", json=teacher(), headers=writer)
    assert created.status_code == 201, created.text
    teacher_id = created.json()["id"]
    assert (await client.get(f"/v1/teachers/{teacher_id}", headers=pii_writer)).status_code == 200
    assert (await client.get("/v1/teachers", headers=reader)).status_code == 200
    trail = await client.get(
        "/v1/audit", params={"kind": "teacher"}, headers=auth(token("audit:read"))
    )
    assert trail.status_code == 200
    rows = [(e["action"], e["record_ids"], e["classes"]) for e in reversed(trail.json()["items"])]
    assert rows == [
        ("create", [teacher_id], ["personal", "personal:masked"]),
        ("read", [teacher_id], ["personal", "sensitive"]),
        ("search", [teacher_id], ["personal", "personal:masked"]),
    ]
    assert {e["county_code"] for e in trail.json()["items"]} == {"150602"}
