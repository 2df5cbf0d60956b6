"""Issue 20 item 1 in enrollment: every access to a child's application is in the service's
audit trail (junheng_kit.audit) — who, for whom, why, which child (pseudonymous key), which
field classes, how it ended — readable with `audit:read` within the auditor's jurisdiction, and
the county's policy changes are recorded as administrative acts."""

from typing import Any
from urllib.parse import quote

from httpx import AsyncClient

from junheng_kit.identifiers import student_key
from junheng_kit.testing.plugin import TokenFactory, auth

from .test_stored_run_api import IN_Z2, apply_and_verify, ok, policy, setup_county

__all__ = ["policy"]  # the fixture

OWNER_BODY = "15060220190101001"
HOUSEHOLD = {
    "hukou": {"county_code": "150602", "type": "urban", "address": "二小片区", "location": IN_Z2},
    "housing": "owned",
}


async def test_a_childs_applications_are_in_the_trail_from_submission_to_a_refused_read(
    client: AsyncClient,
    writer: dict[str, str],
    pii_writer: dict[str, str],
    token: TokenFactory,
    policy: dict[str, Any],
) -> None:
    await setup_county(client, writer, policy)
    app_id = await apply_and_verify(client, writer, OWNER_BODY, HOUSEHOLD)
    read = await client.get(
        f"/v1/applications/{app_id}",
        headers={**pii_writer, "X-On-Behalf-Of": "clerk-42", "X-Purpose": quote("资格审核")},
    )
    assert read.status_code == 200
    other = await client.get(
        f"/v1/applications/{app_id}",
        headers=auth(token("enrollment:read", jurisdiction=("150102",))),
    )
    assert other.status_code == 404  # another county's application: not found, recorded
    citizen_id = read.json()["child"]["citizen_id"]
    key = student_key(b"test-only-pseudonym-key", citizen_id)

    trail = await ok(
        await client.get(
            "/v1/audit",
            params={"student_key": key},
            headers=auth(token("audit:read")),
        )
    )
    newest_first = [(e["action"], e["outcome"]) for e in trail["items"]]
    assert newest_first[0] == ("read", "ok")
    assert newest_first[-1] == ("create", "ok")
    assert ("update", "ok") in newest_first  # the transitions of the review
    latest = trail["items"][0]
    assert (latest["on_behalf_of"], latest["purpose"]) == ("clerk-42", "资格审核")
    assert latest["classes"] == ["personal", "sensitive"]  # enrollment:pii: shown in full
    assert latest["record_ids"] == [app_id]
    assert latest["student_keys"] == [key]
    assert trail["items"][-1]["classes"] == ["personal:masked"]  # the writer has no pii scope

    everything = await ok(
        await client.get("/v1/audit", headers=auth(token("audit:read", jurisdiction=("15",))))
    )
    refused = [e for e in everything["items"] if e["outcome"] == "not_found"]
    assert [(e["county_code"], e["record_ids"]) for e in refused] == [("150102", [])]
    county = await ok(await client.get("/v1/audit", headers=auth(token("audit:read"))))
    assert all(e["county_code"] == "150602" for e in county["items"])
    policies = await ok(
        await client.get(
            "/v1/audit", params={"kind": "priority_policy"}, headers=auth(token("audit:read"))
        )
    )
    assert [e["action"] for e in policies["items"]] == ["admin"]
    assert (await client.get("/v1/audit", headers=writer)).status_code == 403
    verified = await ok(await client.get("/v1/audit/verify", headers=auth(token("audit:read"))))
    assert verified["intact"] is True
    assert verified["chained"] == len(everything["items"])
