"""POST/GET /v1/assessments: the exact public contract, on SQLite and PostgreSQL."""

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.assessment.models import Assessment
from junheng_kit.tables import OutboxMessage
from junheng_kit.testing.plugin import TokenFactory, auth

KEYS = [
    "senior_degree_teachers_per_100",
    "backbone_teachers_per_100",
    "pe_arts_teachers_per_100",
    "teaching_area_per_student",
    "sports_area_per_student",
    "equipment_value_per_student",
    "multimedia_classrooms_per_100",
]


async def rows(session: AsyncSession) -> tuple[int, list[str]]:
    assessments = await session.scalar(select(func.count()).select_from(Assessment))
    subjects = list(await session.scalars(select(OutboxMessage.subject)))
    return int(assessments or 0), subjects


class TestAssessCounty:
    async def test_per_school_results_cvs_and_verdict_follow_the_catalogue(
        self,
        client: AsyncClient,
        session: AsyncSession,
        writer: dict[str, str],
        county: list[dict[str, Any]],
    ) -> None:
        response = await client.post(
            "/v1/assessments",
            json={"county_code": "150602", "year": 2025, "schools": county},
            headers=writer,
        )
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {
            "id",
            "county_code",
            "year",
            "schools",
            "cv",
            "resource_allocation",
            "inputs_sha256",
            "catalogue_version",
        }
        assert response.headers["location"] == f"/v1/assessments/{body['id']}"
        schools = {s["school_code"]: s for s in body["schools"]}
        assert [s["school_code"] for s in body["schools"]] == [s["school_code"] for s in county]
        assert list(schools["2115060001"]["indicators"]) == KEYS
        assert set(schools["2115060001"]["indicators"]["backbone_teachers_per_100"]) == {
            "value",
            "threshold",
            "met",
            "within_85",
        }
        assert schools["2115060001"]["indicators"]["backbone_teachers_per_100"][
            "value"
        ] == pytest.approx(14 / 1200 * 100, rel=1e-12)
        assert [(s["met_count"], s["passed"]) for s in body["schools"]] == [
            (7, True),
            (6, True),
            (5, False),
            (7, True),
        ]
        sports_b = schools["2115060002"]["indicators"]["sports_area_per_student"]
        assert sports_b == {"value": 7.0, "threshold": 7.5, "met": False, "within_85": True}
        teachers_c = schools["2115060003"]["indicators"]["senior_degree_teachers_per_100"]
        assert teachers_c == {"value": 4.0, "threshold": 4.2, "met": False, "within_85": True}
        junior = schools["3115060001"]["indicators"]
        assert junior["pe_arts_teachers_per_100"]["met"] is True  # exactly 0.9
        assert junior["teaching_area_per_student"]["threshold"] == 5.8
        primary_area = body["cv"]["primary"]["teaching_area_per_student"]
        assert primary_area["value"] == pytest.approx(0.075223, abs=1e-6)
        assert primary_area["limit"] == 0.5
        assert primary_area["passed"] is True
        assert body["cv"]["primary"]["sports_area_per_student"]["value"] == pytest.approx(
            0.062241, abs=1e-6
        )
        assert body["cv"]["junior"]["teaching_area_per_student"] == {
            "value": 0.0,
            "limit": 0.45,
            "passed": True,
        }
        assert body["resource_allocation"] == {
            "passed": False,
            "failing_schools": [{"school_code": "2115060003", "level": "primary"}],
            "failing_cv": [],
        }
        # the county-year's first verdict (incomplete: no items yet) is announced with it
        assessments, subjects = await rows(session)
        assert (assessments, sorted(subjects)) == (
            1,
            ["evaluation.assessment.completed", "evaluation.verdict.changed"],
        )

    async def test_get_returns_exactly_what_post_answered(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        created = await client.post(
            "/v1/assessments",
            json={"county_code": "150602", "year": 2025, "schools": county},
            headers=writer,
        )
        fetched = await client.get(f"/v1/assessments/{created.json()['id']}", headers=writer)
        assert fetched.status_code == 200
        assert fetched.json() == created.json()

    async def test_another_countys_assessment_is_not_found(
        self,
        client: AsyncClient,
        writer: dict[str, str],
        token: TokenFactory,
        county: list[dict[str, Any]],
    ) -> None:
        created = await client.post(
            "/v1/assessments",
            json={"county_code": "150602", "year": 2025, "schools": county},
            headers=writer,
        )
        tongyu = auth(token("evaluation:read", jurisdiction=("220822",)))
        response = await client.get(f"/v1/assessments/{created.json()['id']}", headers=tongyu)
        assert response.status_code == 404


class TestInputsHash:
    async def test_hash_is_sha256_of_the_documented_canonical_json(
        self, client: AsyncClient, writer: dict[str, str], section: Callable[..., dict[str, Any]]
    ) -> None:
        one = section("2115060001", "primary", 1200, 60, 14, 12, 6000, 9600, 2_600_000, 30)
        response = await client.post(
            "/v1/assessments",
            json={"county_code": "150602", "year": 2025, "schools": [one]},
            headers=writer,
        )
        canonical = (
            '{"county_code":"150602","schools":[{"backbone_teachers":14,'
            '"equipment_value_yuan":2600000.0,"level":"primary","multimedia_classrooms":30,'
            '"name":"学校01","pe_arts_teachers":12,"school_code":"2115060001",'
            '"sports_venue_area_m2":9600.0,"students":1200,'
            '"teachers_above_required_degree":60,"teaching_auxiliary_area_m2":6000.0}],'
            '"year":2025}'
        )
        expected = hashlib.sha256(canonical.encode()).hexdigest()
        assert response.json()["inputs_sha256"] == expected

    async def test_section_order_does_not_change_the_hash(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        hashes = []
        for schools in (county, list(reversed(county))):
            response = await client.post(
                "/v1/assessments",
                json={"county_code": "150602", "year": 2025, "schools": schools},
                headers=writer,
            )
            hashes.append(response.json()["inputs_sha256"])
        assert hashes[0] == hashes[1]


class TestBadInput:
    @pytest.mark.parametrize(
        ("index", "change", "field", "rule"),
        [
            (0, {"students": 0}, "schools.0.students", "greater_than"),
            (
                1,
                {"sports_venue_area_m2": -1},
                "schools.1.sports_venue_area_m2",
                "greater_than_equal",
            ),
            (2, {"level": "senior"}, "schools.2.level", "literal_error"),
            (3, {"school_code": "311506001"}, "schools.3.school_code", "school_code_format"),
            (0, {"principal": "王校长"}, "schools.0.principal", "extra_forbidden"),
        ],
    )
    async def test_a_bad_section_is_named_with_its_rule_and_nothing_is_stored(
        self,
        client: AsyncClient,
        session: AsyncSession,
        writer: dict[str, str],
        index: int,
        change: dict[str, Any],
        field: str,
        rule: str,
        county: list[dict[str, Any]],
    ) -> None:
        schools = [dict(s) for s in county]
        schools[index] = {**schools[index], **change}
        response = await client.post(
            "/v1/assessments",
            json={"county_code": "150602", "year": 2025, "schools": schools},
            headers=writer,
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert {"field": field, "rule": rule} in [
            {"field": e["field"], "rule": e["rule"]} for e in response.json()["errors"]
        ]
        assert await rows(session) == (0, [])

    async def test_a_missing_field_is_named(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        incomplete = {k: v for k, v in county[0].items() if k != "backbone_teachers"}
        response = await client.post(
            "/v1/assessments",
            json={"county_code": "150602", "year": 2025, "schools": [incomplete]},
            headers=writer,
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"field": "schools.0.backbone_teachers", "rule": "missing", "message": "缺少必填字段"}
        ]
        english = await client.post(
            "/v1/assessments",
            json={"county_code": "150602", "year": 2025, "schools": [incomplete]},
            headers={**writer, "Accept-Language": "en"},
        )
        assert english.json()["errors"] == [
            {"field": "schools.0.backbone_teachers", "rule": "missing", "message": "Field required"}
        ]

    async def test_a_section_listed_twice_is_422_naming_the_second(
        self,
        client: AsyncClient,
        session: AsyncSession,
        writer: dict[str, str],
        county: list[dict[str, Any]],
    ) -> None:
        response = await client.post(
            "/v1/assessments",
            json={"county_code": "150602", "year": 2025, "schools": [*county, county[1]]},
            headers=writer,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0] == {
            "field": "schools[4].school_code",
            "rule": "section_unique",
            "message": "2115060002 primary 与 schools[1] 重复",
        }
        assert await rows(session) == (0, [])

    async def test_a_county_outside_the_jurisdiction_is_403(
        self,
        client: AsyncClient,
        session: AsyncSession,
        token: TokenFactory,
        county: list[dict[str, Any]],
    ) -> None:
        response = await client.post(
            "/v1/assessments",
            json={"county_code": "220822", "year": 2025, "schools": county},
            headers=auth(token("evaluation:write")),
        )
        assert response.status_code == 403
        assert response.json()["errors"][0]["field"] == "county_code"
        assert await rows(session) == (0, [])

    async def test_omitting_schools_without_stored_data_says_what_to_send(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.post(
            "/v1/assessments", json={"county_code": "150602", "year": 2025}, headers=writer
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "resource_data_required"

    async def test_read_scope_cannot_assess(
        self, client: AsyncClient, token: TokenFactory, county: list[dict[str, Any]]
    ) -> None:
        response = await client.post(
            "/v1/assessments",
            json={"county_code": "150602", "year": 2025, "schools": county},
            headers=auth(token("evaluation:read")),
        )
        assert response.status_code == 403
        assert response.json()["errors"][0]["rule"] == "scope_required"
