"""电脑派位 over HTTP, on SQLite and PostgreSQL, through the real migrations."""

import hashlib
import json
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.lottery.models import AssignmentRun
from junheng_kit.tables import OutboxMessage
from junheng_kit.testing.plugin import TokenFactory, auth

X, Y, Z = "2115000001", "2115000002", "2115000003"
INSTANCE: dict[str, Any] = {
    "seed": "2027-东胜区-0731",
    "mechanism": "deferred_acceptance",
    "tie_breaking": "single",
    "schools": [
        {"school_code": X, "capacity": 1},
        {"school_code": Y, "capacity": 1},
        {"school_code": Z, "capacity": 1},
    ],
    "applicants": [
        {"application_id": "a", "preferences": [Y, X, Z], "priorities": {X: 1, Y: 2, Z: 2}},
        {"application_id": "b", "preferences": [X, Y, Z], "priorities": {X: 3, Y: 1, Z: 3}},
        {"application_id": "c", "preferences": [X, Z, Y], "priorities": {X: 2, Y: 3, Z: 1}},
    ],
}


async def count_rows(session: AsyncSession) -> tuple[int | None, int | None]:
    return (
        await session.scalar(select(func.count()).select_from(AssignmentRun)),
        await session.scalar(select(func.count()).select_from(OutboxMessage)),
    )


class TestCreateRun:
    async def test_result_is_returned_stored_and_announced(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        response = await client.post("/v1/assignment-runs", json=INSTANCE, headers=writer)
        assert response.status_code == 201
        body = response.json()
        assert body["assignments"] == {"a": X, "b": Y, "c": Z}
        assert body["mechanism"] == "deferred_acceptance"
        canonical = json.dumps(INSTANCE, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert body["input_sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
        assert (
            body["lotteries"]["a"] == hashlib.sha256(f"{INSTANCE['seed']}:a".encode()).hexdigest()
        )
        assert body["cutoffs"][Y] == {"tier": 1, "lottery": body["lotteries"]["b"]}
        assert body["explanations"]["a"] == [
            {
                "school_code": Y,
                "reason": "tier_below_cutoff",
                "tier": 2,
                "lottery": body["lotteries"]["a"],
                "cutoff_tier": 1,
                "cutoff_lottery": body["lotteries"]["b"],
            }
        ]
        assert response.headers["location"] == f"/v1/assignment-runs/{body['id']}"

        again = await client.get(response.headers["location"], headers=writer)
        assert again.status_code == 200
        assert again.content == response.content

        outbox = list(await session.scalars(select(OutboxMessage)))
        assert [m.subject for m in outbox] == ["enrollment.assignment.published"]
        event = json.loads(outbox[0].payload)
        assert event["data"]["admitted"] == {X: 1, Y: 1, Z: 1}
        assert event["data"]["applicants"] == event["data"]["placed"] == 3

    async def test_the_same_instance_replays_byte_for_byte(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        first = await client.post("/v1/assignment-runs", json=INSTANCE, headers=writer)
        second = await client.post("/v1/assignment-runs", json=INSTANCE, headers=writer)
        assert first.json()["id"] != second.json()["id"]
        strip = f'"id":"{first.json()["id"]}"'.encode()
        assert first.content.replace(strip, b"") == second.content.replace(
            f'"id":"{second.json()["id"]}"'.encode(), b""
        )

    async def test_comparison_runs_the_other_mechanism(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        run = (await client.post("/v1/assignment-runs", json=INSTANCE, headers=writer)).json()
        response = await client.get(f"/v1/assignment-runs/{run['id']}/comparison", headers=writer)
        assert response.status_code == 200
        body = response.json()
        assert body["other"]["mechanism"] == "immediate_acceptance"
        assert body["run"]["first_choice_share"] == 0
        assert body["other"]["rank_distribution"] == {"1": 2, "3": 1, "unassigned": 0}
        assert (body["gains"], body["losses"], body["unchanged"]) == (2, 1, 0)

    @pytest.mark.parametrize(
        ("change", "field", "rule"),
        [
            (
                lambda d: d["applicants"][1]["preferences"].append("2115000009"),
                "applicants[1].preferences[3]",
                "school_in_instance",
            ),
            (
                lambda d: d["applicants"][0]["priorities"].update({"2115000009": 1}),
                "applicants[0].priorities.2115000009",
                "school_in_instance",
            ),
            (
                lambda d: d["applicants"][2].update(application_id="a"),
                "applicants[2].application_id",
                "application_id_unique",
            ),
            (
                lambda d: d["schools"][2].update(school_code=X),
                "schools[2].school_code",
                "school_code_unique",
            ),
            (
                lambda d: d["applicants"][0]["preferences"].append(Y),
                "applicants[0].preferences[3]",
                "preference_unique",
            ),
            (lambda d: d["schools"][0].update(capacity=-1), "schools.0.capacity", None),
        ],
    )
    async def test_bad_instance_is_422_naming_the_field_and_stores_nothing(
        self,
        client: AsyncClient,
        session: AsyncSession,
        writer: dict[str, str],
        change: Any,
        field: str,
        rule: str | None,
    ) -> None:
        body = json.loads(json.dumps(INSTANCE))
        change(body)
        response = await client.post("/v1/assignment-runs", json=body, headers=writer)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        errors = response.json()["errors"]
        assert any(
            e["field"].endswith(field) and (rule is None or e["rule"] == rule) for e in errors
        ), errors
        assert await count_rows(session) == (0, 0)

    async def test_read_scope_alone_cannot_run(
        self, client: AsyncClient, session: AsyncSession, token: TokenFactory
    ) -> None:
        response = await client.post(
            "/v1/assignment-runs", json=INSTANCE, headers=auth(token("enrollment:read"))
        )
        assert response.status_code == 403
        assert await count_rows(session) == (0, 0)


class TestReadRun:
    async def test_another_client_outside_the_province_gets_404(
        self, client: AsyncClient, writer: dict[str, str], token: TokenFactory
    ) -> None:
        run = (await client.post("/v1/assignment-runs", json=INSTANCE, headers=writer)).json()
        path = f"/v1/assignment-runs/{run['id']}"
        county_only = auth(
            token("enrollment:read", subject="other-county", jurisdiction=("150602",))
        )
        province = auth(token("enrollment:read", subject="province", jurisdiction=("15",)))
        elsewhere = auth(token("enrollment:read", subject="jilin", jurisdiction=("22",)))
        assert (await client.get(path, headers=county_only)).status_code == 404
        assert (await client.get(f"{path}/comparison", headers=elsewhere)).status_code == 404
        assert (await client.get(path, headers=province)).status_code == 200

    async def test_unknown_run_is_404(self, client: AsyncClient, writer: dict[str, str]) -> None:
        response = await client.get(
            "/v1/assignment-runs/0190d6b6-0000-7000-8000-000000000000", headers=writer
        )
        assert response.status_code == 404
