"""The steps every service's retention API tests take over HTTP (`junheng_kit.retention`'s
endpoints, mounted under the service's own `/v1`): set a rule, place and release a legal hold,
run a county's purge and read the purge records — each asserting the status the step must
answer, so a test reads as the bureau's steps and its own assertions."""

from typing import Any

from httpx import AsyncClient

COUNTY = "150602"


async def set_rule(
    client: AsyncClient,
    headers: dict[str, Any],
    path: str,
    body: dict[str, Any],
) -> dict[str, Any]:
    """PUT /v1/retention-rules/{scope}/{kind}/{effective_from} (`path`): 201, the stored rule."""
    answer = await client.put(f"/v1/retention-rules/{path}", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def place_hold(client: AsyncClient, headers: dict[str, Any], **body: Any) -> dict[str, Any]:
    """POST /v1/legal-holds: 201, the hold (by `record_id` or by `citizen_id`)."""
    answer = await client.post("/v1/legal-holds", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def release_hold(
    client: AsyncClient, headers: dict[str, Any], hold_id: str, reason: str | None = None
) -> dict[str, Any]:
    """DELETE /v1/legal-holds/{id} (?reason=… when given): 200, the released hold."""
    params = {} if reason is None else {"reason": reason}
    answer = await client.delete(f"/v1/legal-holds/{hold_id}", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def run_purge(
    client: AsyncClient, headers: dict[str, Any], county_code: str = COUNTY
) -> dict[str, Any]:
    """POST /v1/purges for one county of a service with one kind: 200, its one purge record."""
    answer = await client.post("/v1/purges", json={"county_code": county_code}, headers=headers)
    assert answer.status_code == 200, answer.text
    (record,) = answer.json()["items"]
    return dict(record)


async def purge_records(
    client: AsyncClient, headers: dict[str, Any], county_code: str = COUNTY
) -> list[dict[str, Any]]:
    """GET /v1/purges?county_code=…: the county's purge records, newest first."""
    answer = await client.get("/v1/purges", params={"county_code": county_code}, headers=headers)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])
