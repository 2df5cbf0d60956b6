"""School registry over HTTP, on SQLite and PostgreSQL, through the real migrations."""

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.tables import OutboxMessage
from junheng_kit.testing.plugin import TokenFactory, auth

DONGSHENG_PRIMARY: dict[str, Any] = {
    "school_code": "2115000001",
    "name": "东胜区第一小学",
    "levels": ["primary"],
    "county_code": "150602",
    "location": {"longitude": 109.99, "latitude": 39.82},
    "planned_capacity": 1800,
}
TONGYU_JUNIOR: dict[str, Any] = {
    "school_code": "3122000007",
    "name": "通榆县第二中学",
    "levels": ["junior"],
    "county_code": "220822",
    "location": {"longitude": 123.08, "latitude": 44.81},
    "planned_capacity": 1500,
}


async def outbox_subjects(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(OutboxMessage.subject).order_by(OutboxMessage.id)))


class TestRegisterSchool:
    async def test_registered_school_is_returned_and_stages_one_event(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        response = await client.post("/v1/schools", json=DONGSHENG_PRIMARY, headers=writer)
        assert response.status_code == 201
        body = response.json()
        assert body["school_code"] == "2115000001"
        assert body["levels"] == ["primary"]
        assert body["location"] == {"longitude": 109.99, "latitude": 39.82}
        assert body["version"] == 1
        assert response.headers["location"] == "/v1/schools/2115000001"
        assert response.headers["etag"] == '"1"'
        assert await outbox_subjects(session) == ["enrollment.school.registered"]

    async def test_duplicate_code_is_409_and_stages_no_second_event(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        await client.post("/v1/schools", json=DONGSHENG_PRIMARY, headers=writer)
        response = await client.post("/v1/schools", json=DONGSHENG_PRIMARY, headers=writer)
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["rule"] == "school_code_unique"
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1

    async def test_school_outside_the_jurisdiction_is_403_and_not_written(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        response = await client.post("/v1/schools", json=TONGYU_JUNIOR, headers=writer)
        assert response.status_code == 403
        assert response.json()["errors"][0] == {
            "field": "county_code",
            "rule": "jurisdiction",
            "message": "令牌的管辖区域为 150602",
        }
        assert await outbox_subjects(session) == []

    async def test_read_scope_alone_cannot_register(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        response = await client.post(
            "/v1/schools", json=DONGSHENG_PRIMARY, headers=auth(token("enrollment:read"))
        )
        assert response.status_code == 403
        assert response.json()["errors"][0]["rule"] == "scope_required"


class TestBadInput:
    @pytest.mark.parametrize(
        ("change", "field", "rule"),
        [
            ({"school_code": "211500001"}, "school_code", "school_code_format"),
            ({"school_code": "99150000AB"}, "school_code", "school_code_format"),
            ({"school_code": "9915000001"}, "school_code", "school_code_category"),
            ({"county_code": "1506"}, "county_code", "division_code_format"),
            ({"county_code": "990602"}, "county_code", "division_code_province"),
            ({"levels": []}, "levels", "too_short"),
            ({"levels": ["kindergarten"]}, "levels.0", "literal_error"),
            ({"planned_capacity": 0}, "planned_capacity", "greater_than_equal"),
            ({"planned_capacity": "many"}, "planned_capacity", "int_parsing"),
            (
                {"location": {"longitude": 2.35, "latitude": 48.85}},
                "location.longitude",
                "greater_than_equal",
            ),
            ({"principal": "王校长"}, "principal", "extra_forbidden"),
        ],
    )
    async def test_each_bad_field_is_named_with_its_rule(
        self,
        client: AsyncClient,
        session: AsyncSession,
        writer: dict[str, str],
        change: dict[str, Any],
        field: str,
        rule: str,
    ) -> None:
        response = await client.post(
            "/v1/schools", json={**DONGSHENG_PRIMARY, **change}, headers=writer
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert {"field": field, "rule": rule} in [
            {"field": e["field"], "rule": e["rule"]} for e in response.json()["errors"]
        ]
        assert await outbox_subjects(session) == []

    async def test_malformed_json_is_400_problem(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.post(
            "/v1/schools",
            content=b'{"school_code": ',
            headers={**writer, "content-type": "application/json"},
        )
        assert response.status_code == 400
        body = response.json()
        assert body["type"] == "urn:junheng:problem:bad-request"
        assert body["errors"][0]["rule"] == "json_invalid"

    async def test_missing_token_is_401_problem(self, client: AsyncClient) -> None:
        response = await client.get("/v1/schools")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["errors"][0]["rule"] == "bearer_token_required"

    async def test_expired_token_is_401(self, client: AsyncClient, token: TokenFactory) -> None:
        response = await client.get(
            "/v1/schools", headers=auth(token("enrollment:read", ttl_seconds=-120))
        )
        assert response.status_code == 401
        assert response.json()["errors"][0]["rule"] == "token_expired"

    async def test_tampered_token_is_401(self, client: AsyncClient, token: TokenFactory) -> None:
        header, payload, signature = token("enrollment:read").split(".")
        forged = f"{header}.{payload}.{signature[:-4]}AAAA"
        response = await client.get("/v1/schools", headers=auth(forged))
        assert response.status_code == 401
        assert response.json()["errors"][0]["rule"] == "token_invalid"


class TestReadSchools:
    async def test_list_shows_only_the_callers_jurisdiction(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        national = auth(token("enrollment:read", "enrollment:write", jurisdiction=("15", "22")))
        for school in (DONGSHENG_PRIMARY, TONGYU_JUNIOR):
            assert (
                await client.post("/v1/schools", json=school, headers=national)
            ).status_code == 201
        dongsheng = auth(token("enrollment:read", jurisdiction=("150602",)))
        listed = (await client.get("/v1/schools", headers=dongsheng)).json()
        assert [s["school_code"] for s in listed["items"]] == ["2115000001"]
        other = await client.get("/v1/schools/3122000007", headers=dongsheng)
        assert other.status_code == 404

    async def test_pages_follow_the_cursor(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        for n in range(5):
            school = {**DONGSHENG_PRIMARY, "school_code": f"21150000{n:02d}", "name": f"小学{n}号"}
            assert (
                await client.post("/v1/schools", json=school, headers=writer)
            ).status_code == 201
        first = (await client.get("/v1/schools?limit=2", headers=writer)).json()
        second = (
            await client.get(f"/v1/schools?limit=2&cursor={first['next_cursor']}", headers=writer)
        ).json()
        third = (
            await client.get(f"/v1/schools?limit=2&cursor={second['next_cursor']}", headers=writer)
        ).json()
        codes = [s["school_code"] for page in (first, second, third) for s in page["items"]]
        assert codes == [f"21150000{n:02d}" for n in range(5)]
        assert third["next_cursor"] is None


class TestUpdateSchool:
    async def test_patch_changes_fields_bumps_version_and_stages_update(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        await client.post("/v1/schools", json=DONGSHENG_PRIMARY, headers=writer)
        response = await client.patch(
            "/v1/schools/2115000001",
            json={"planned_capacity": 2000, "levels": ["nine_year"]},
            headers={**writer, "If-Match": '"1"'},
        )
        assert response.status_code == 200
        assert response.json()["planned_capacity"] == 2000
        assert response.json()["levels"] == ["nine_year"]
        assert response.json()["version"] == 2
        assert response.headers["etag"] == '"2"'
        assert await outbox_subjects(session) == [
            "enrollment.school.registered",
            "enrollment.school.updated",
        ]

    async def test_stale_if_match_is_412_and_changes_nothing(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        await client.post("/v1/schools", json=DONGSHENG_PRIMARY, headers=writer)
        response = await client.patch(
            "/v1/schools/2115000001",
            json={"name": "改名小学"},
            headers={**writer, "If-Match": '"7"'},
        )
        assert response.status_code == 412
        assert response.json()["errors"][0]["rule"] == "version_current"
        current = (await client.get("/v1/schools/2115000001", headers=writer)).json()
        assert current["name"] == "东胜区第一小学"

    async def test_school_code_cannot_be_changed(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        await client.post("/v1/schools", json=DONGSHENG_PRIMARY, headers=writer)
        response = await client.patch(
            "/v1/schools/2115000001", json={"school_code": "2115000099"}, headers=writer
        )
        assert response.status_code == 422
        assert response.json()["errors"][0] == {
            "field": "school_code",
            "rule": "extra_forbidden",
            "message": "不允许此字段",
        }

    async def test_an_explicit_null_is_422_naming_the_field_and_changes_nothing(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        await client.post("/v1/schools", json=DONGSHENG_PRIMARY, headers=writer)
        response = await client.patch(
            "/v1/schools/2115000001",
            json={"name": None, "planned_capacity": 2000},
            headers={**writer, "If-Match": '"1"'},
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"] == [
            {
                "field": "name",
                "rule": "not_nullable",
                "message": "请给出一个值，或不填此字段",
            }
        ]
        current = (await client.get("/v1/schools/2115000001", headers=writer)).json()
        assert (current["name"], current["planned_capacity"], current["version"]) == (
            "东胜区第一小学",
            1800,
            1,
        )
        assert await outbox_subjects(session) == ["enrollment.school.registered"]


class TestIdempotencyKey:
    async def test_same_key_and_body_returns_the_first_response(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        headers = {**writer, "Idempotency-Key": "reg-2115000001"}
        first = await client.post("/v1/schools", json=DONGSHENG_PRIMARY, headers=headers)
        again = await client.post("/v1/schools", json=DONGSHENG_PRIMARY, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1

    async def test_same_key_with_another_body_is_422(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        headers = {**writer, "Idempotency-Key": "reg-x"}
        await client.post("/v1/schools", json=DONGSHENG_PRIMARY, headers=headers)
        response = await client.post(
            "/v1/schools", json={**DONGSHENG_PRIMARY, "name": "别的学校"}, headers=headers
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "idempotency_key_reused"


class TestLevelFilter:
    async def test_level_filter_finds_schools_offering_that_level(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        offered = {
            "2115000001": ["primary"],
            "3115000002": ["junior"],
            "3115000003": ["nine_year"],
            "3415000004": ["junior", "complete_secondary"],
        }
        for code, levels in offered.items():
            school = {**DONGSHENG_PRIMARY, "school_code": code, "levels": levels}
            assert (
                await client.post("/v1/schools", json=school, headers=writer)
            ).status_code == 201
        junior = (await client.get("/v1/schools?level=junior", headers=writer)).json()
        assert [s["school_code"] for s in junior["items"]] == ["3115000002", "3415000004"]
        nine = (await client.get("/v1/schools?level=nine_year", headers=writer)).json()
        assert [s["school_code"] for s in nine["items"]] == ["3115000003"]


class TestConditionalGet:
    async def test_a_current_etag_is_304_and_a_changed_school_is_sent_again(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        """The kit's conditional GET on a versioned resource: If-None-Match with the ETag a
        client holds costs no body until the school changes (RFC 9110 §13.1.2, §15.4.5)."""
        await client.post("/v1/schools", json=DONGSHENG_PRIMARY, headers=writer)
        url = "/v1/schools/2115000001"
        first = await client.get(url, headers=writer)
        held = first.headers["etag"]

        unchanged = await client.get(url, headers={**writer, "If-None-Match": held})
        weak = await client.get(url, headers={**writer, "If-None-Match": f"W/{held}"})
        await client.patch(
            url, json={"planned_capacity": 900}, headers={**writer, "If-Match": held}
        )
        changed = await client.get(url, headers={**writer, "If-None-Match": held})

        assert (unchanged.status_code, unchanged.content) == (304, b"")
        assert unchanged.headers["etag"] == held
        assert "content-type" not in unchanged.headers
        assert weak.status_code == 304
        assert (changed.status_code, changed.headers["etag"]) == (200, '"2"')
        assert changed.json()["planned_capacity"] == 900


class TestMethodNotAllowed:
    async def test_a_405_allows_every_method_of_the_resource(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        """RFC 9110 §15.5.6: Allow lists the methods the target resource supports — a school is
        read (GET) and changed (PATCH); the registry is listed (GET) and added to (POST)."""
        await client.post("/v1/schools", json=DONGSHENG_PRIMARY, headers=writer)

        school = await client.delete("/v1/schools/2115000001", headers=writer)
        registry = await client.put("/v1/schools", json={}, headers=writer)

        assert school.status_code == 405
        assert school.headers["content-type"] == "application/problem+json"
        assert school.headers["allow"] == "GET, PATCH"
        assert (registry.status_code, registry.headers["allow"]) == (405, "GET, POST")
