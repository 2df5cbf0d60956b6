"""The registry's national codes over HTTP (issue 19): 办学类型, 城乡分类代码, 统计用区划代码 and
办学性质 — code or Chinese label in, code and label out, in the events, checked against the levels
and the county; optional, so schools and clients without them work as before."""

import json
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.tables import OutboxMessage
from junheng_kit.testing.plugin import TokenFactory, auth

NINE_YEAR: dict[str, Any] = {
    "school_code": "3115000009",
    "name": "东胜区泊江海镇九年制学校",
    "levels": ["nine_year"],
    "county_code": "150602",
    "location": {"longitude": 109.99, "latitude": 39.82},
    "planned_capacity": 900,
}
CODES = {
    "school_type": "312",
    "urban_rural_code": "220",
    "division_code": "150602104201",
    "ownership": "public",
}


async def payloads(session: AsyncSession) -> list[dict[str, Any]]:
    rows = await session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id))
    return [json.loads(r) for r in rows]


class TestRegisterWithCodes:
    async def test_labels_are_stored_as_codes_and_read_with_their_labels(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        labelled = {
            **NINE_YEAR,
            "school_type": "九年一贯制学校",
            "urban_rural_code": "村庄",
            "division_code": "150602104201",
            "ownership": "公办",
        }
        response = await client.post("/v1/schools", json=labelled, headers=writer)
        assert response.status_code == 201, response.text
        read = (await client.get("/v1/schools/3115000009", headers=writer)).json()
        assert {k: read[k] for k in (*CODES, "school_type_label", "urban_rural_label")} == {
            **CODES,
            "school_type_label": "九年一贯制学校",
            "urban_rural_label": "村庄",
        }
        assert read["ownership_label"] == "公办"
        [registered] = await payloads(session)
        assert {k: registered["data"][k] for k in CODES} == CODES

    async def test_a_school_without_codes_registers_as_before(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        response = await client.post("/v1/schools", json=NINE_YEAR, headers=writer)
        assert response.status_code == 201
        body = response.json()
        assert [body[k] for k in (*CODES, "school_type_label", "ownership_label")] == [None] * 6
        [registered] = await payloads(session)
        assert [registered["data"][k] for k in CODES] == [None] * 4


class TestBadCodes:
    @pytest.mark.parametrize(
        ("change", "field", "rule"),
        [
            ({"school_type": "342"}, "school_type", "school_type_known"),  # 高级中学
            ({"school_type": "九年制学校"}, "school_type", "school_type_known"),
            ({"urban_rural_code": "100"}, "urban_rural_code", "urban_rural_code_known"),
            ({"division_code": "1506021042"}, "division_code", "division_code_format"),
            ({"ownership": "民办公助"}, "ownership", "ownership_known"),
        ],
    )
    async def test_an_unknown_code_is_422_naming_field_and_rule(
        self,
        client: AsyncClient,
        session: AsyncSession,
        writer: dict[str, str],
        change: dict[str, str],
        field: str,
        rule: str,
    ) -> None:
        response = await client.post("/v1/schools", json={**NINE_YEAR, **change}, headers=writer)
        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [(field, rule)]
        assert await payloads(session) == []

    async def test_a_primary_school_type_with_a_junior_level_is_422(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        body = {**NINE_YEAR, "levels": ["primary", "junior"], "school_type": "小学"}
        response = await client.post("/v1/schools", json=body, headers=writer)
        assert response.status_code == 422
        assert response.json()["type"] == "urn:junheng:problem:rule-violated"
        assert response.json()["errors"] == [
            {
                "field": "school_type",
                "rule": "school_type_levels",
                "message": "小学 (211) 不设初中学段 / a 小学 (211) has no level junior",
            }
        ]
        assert await payloads(session) == []

    async def test_a_division_code_of_another_county_is_422(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        body = {**NINE_YEAR, "division_code": "220822100001"}  # 通榆县, not 东胜区
        response = await client.post("/v1/schools", json=body, headers=writer)
        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("division_code", "division_code_in_county")
        ]


class TestChangeCodes:
    async def test_codes_are_added_by_patch_and_announced(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        await client.post("/v1/schools", json=NINE_YEAR, headers=writer)
        response = await client.patch(
            "/v1/schools/3115000009", json=CODES, headers={**writer, "If-Match": '"1"'}
        )
        assert response.status_code == 200, response.text
        assert (response.json()["school_type"], response.json()["version"]) == ("312", 2)
        updated = (await payloads(session))[-1]
        assert updated["type"] == "enrollment.school.updated"
        assert {k: updated["data"][k] for k in CODES} == CODES

    async def test_a_null_removes_a_code(self, client: AsyncClient, writer: dict[str, str]) -> None:
        await client.post("/v1/schools", json={**NINE_YEAR, **CODES}, headers=writer)
        response = await client.patch(
            "/v1/schools/3115000009", json={"ownership": None}, headers=writer
        )
        assert response.status_code == 200
        assert (response.json()["ownership"], response.json()["school_type"]) == (None, "312")

    async def test_levels_that_contradict_the_stored_type_are_422_and_change_nothing(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        """A 九年一贯制学校 has primary and junior sections: dropping junior contradicts it."""
        await client.post("/v1/schools", json={**NINE_YEAR, **CODES}, headers=writer)
        response = await client.patch(
            "/v1/schools/3115000009", json={"levels": ["primary"]}, headers=writer
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "field": "school_type",
                "rule": "school_type_levels",
                "message": "九年一贯制学校 (312) 应有初中学段 / "
                "a 九年一贯制学校 (312) has a junior section",
            }
        ]
        school = (await client.get("/v1/schools/3115000009", headers=writer)).json()
        assert (school["levels"], school["version"]) == (["nine_year"], 1)
        assert len(await payloads(session)) == 1

    async def test_moving_county_without_a_new_division_code_is_422(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        ordos = auth(token("enrollment:read", "enrollment:write", jurisdiction=("1506",)))
        await client.post("/v1/schools", json={**NINE_YEAR, **CODES}, headers=ordos)
        response = await client.patch(
            "/v1/schools/3115000009", json={"county_code": "150603"}, headers=ordos
        )
        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("division_code", "division_code_in_county")
        ]
