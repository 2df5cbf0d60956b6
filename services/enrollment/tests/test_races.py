"""Races for a natural key between two replicas on one database, on SQLite and PostgreSQL
(issue 17: twenty simultaneous registrations of one school answered twelve 500s).

Twenty identical requests at once, spread over two apps — each with its own engine, pool and
lifespan, as two replicas run — on one committed database: the key is stored once, every other
request is told why (409 problem+json with the rule its pre-check gives), nothing is half
written, nothing answers 5xx. On PostgreSQL the pre-checks really race and the database's
constraint decides; on SQLite writers queue for the file's lock and the pre-checks decide.
"""

import asyncio
import copy
from typing import Any

import pytest
from sqlalchemy import select

from enrollment.admission import submission
from enrollment.admission.models import (
    Admission,
    Application,
    ApplicationEvent,
    ApplicationVerification,
    PriorityPolicy,
)
from enrollment.admission.schemas import ApplicationCreate, PriorityPolicyPut
from enrollment.schools.models import School
from enrollment.seats.models import SeatPlan
from enrollment.zoning.models import ZoneMap
from junheng_kit.auth import Jurisdiction, Principal
from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.tables import OutboxMessage
from junheng_kit.testing.plugin import (
    TEST_PSEUDONYM_KEY,
    Replicas,
    assert_race_settled,
)
from junheng_kit.timeutil import china_today

from .admission import test_stored_run_api as stored_run
from .admission.test_stored_run_api import setup_county, three_families

YEAR = 2025
A, B = "2115000001", "2115000002"
SCHOOL: dict[str, Any] = {
    "school_code": A,
    "name": "东胜区第一小学",
    "levels": ["primary"],
    "county_code": "150602",
    "location": {"longitude": 109.96, "latitude": 39.81},
    "planned_capacity": 1800,
}
ZONES: dict[str, Any] = {
    "county_code": "150602",
    "level": "primary",
    "year": YEAR,
    "effective_from": "2025-01-01",
    "zones": {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"zone_code": "Z1", "name": "一小片区", "school_codes": [A, B]},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[109.95, 39.80], [109.97, 39.80], [109.97, 39.82], [109.95, 39.82],
                         [109.95, 39.80]]
                    ],
                },
            }
        ],
    },
}  # fmt: skip
POLICY: dict[str, Any] = copy.deepcopy(
    PriorityPolicyPut.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
)


def application(serial: int) -> dict[str, Any]:
    """A Dongsheng family applying for grade 1 in zone Z1; `serial` tells the children apart."""
    body17 = f"150602201903{15 + serial % 10:02d}{serial:03d}"
    return {
        "county_code": "150602",
        "year": YEAR,
        "grade": 1,
        "child": {
            "citizen_id": body17 + citizen_id_check_character(body17),
            "name": "王小明",
            "birth_date": f"2019-03-{15 + serial % 10:02d}",
        },
        "guardian": {"name": "王建国", "relation": "father", "phone": "13800000000"},
        "household": {
            "hukou": {"county_code": "150602", "type": "urban", "address": "某街道"},
            "housing": "owned",
            "social_insurance_months": 36,
        },
        "home": {"longitude": 109.96, "latitude": 39.81, "address": "东胜区某路1号"},
        "choices": [A, B],
    }


async def register_schools(replicas: Replicas, writer: dict[str, str]) -> None:
    for code in (A, B):
        response = await replicas.client.post(
            "/v1/schools", json={**SCHOOL, "school_code": code}, headers=writer
        )
        assert response.status_code == 201, response.text


@pytest.fixture
async def county(replicas: Replicas, writer: dict[str, str]) -> None:
    """Two primary schools, one zone holding both, the example priority policy — committed."""
    await register_schools(replicas, writer)
    response = await replicas.client.post("/v1/zone-maps", json=ZONES, headers=writer)
    assert response.status_code == 201, response.text
    response = await replicas.client.put(
        f"/v1/priority-policies/150602/{YEAR}/primary", json=POLICY, headers=writer
    )
    assert response.status_code == 201, response.text


async def events(replicas: Replicas, event_type: str) -> int:
    return await replicas.count(OutboxMessage, OutboxMessage.subject == event_type)


class TestSchoolRegistration:
    async def test_one_code_registered_twenty_times_at_once_is_one_school(
        self, replicas: Replicas, writer: dict[str, str]
    ) -> None:
        answers = await replicas.race("POST", "/v1/schools", json=SCHOOL, headers=writer)
        assert_race_settled(answers, ("school_code", "school_code_unique"))
        assert await replicas.count(School) == 1
        assert await events(replicas, "enrollment.school.registered") == 1


class TestSchoolImport:
    async def test_one_sheet_imported_twenty_times_at_once_registers_each_school_once(
        self, replicas: Replicas, writer: dict[str, str]
    ) -> None:
        sheet = (
            "学校标识码,学校名称,学段,所在区县代码,经度,纬度,规划学位数\r\n"
            "2115061001,东胜区第十小学,小学,150602,109.98,39.81,1800\r\n"
            "3115061002,东胜区十中,初中,150602,109.99,39.82,2400\r\n"
        ).encode()
        answers = await replicas.race(
            "POST",
            "/v1/school-imports",
            content=sheet,
            headers={**writer, "Content-Type": "text/csv"},
        )
        # after the first import committed, the same sheet changes nothing (201, unchanged);
        # a bulk insert that raced it is refused as a second registration would be
        imported = assert_race_settled(answers, ("school_code", "school_code_unique"), winners=None)
        assert sum(a.json()["created"] for a in imported) == 2
        assert await replicas.count(School) == 2
        assert await events(replicas, "enrollment.school.registered") == 2


@pytest.mark.usefixtures("county")
class TestApplicationSubmission:
    """Group commit (kit Batcher, fast route): a replica records the submissions that arrive
    together in one transaction; a child another replica recorded in between fails that batch at
    the insert, and the batch is recorded again one by one, so only that child is refused."""

    async def test_one_child_applying_twenty_times_at_once_is_one_application(
        self, replicas: Replicas, writer: dict[str, str]
    ) -> None:
        answers = await replicas.race(
            "POST", "/v1/applications", json=application(1), headers=writer
        )
        assert_race_settled(answers, ("child.citizen_id", "application_unique"))
        assert await replicas.count(Application) == 1
        assert await replicas.count(ApplicationEvent) == 1
        assert await events(replicas, "enrollment.application.submitted") == 1

    async def test_a_duplicate_in_the_batch_never_costs_the_other_families_theirs(
        self, replicas: Replicas, writer: dict[str, str]
    ) -> None:
        # ten families once each and one family ten times, interleaved, on both replicas
        bodies = [application(1 if i % 2 else 10 + i) for i in range(20)]
        answers = await asyncio.gather(
            *(
                replicas.clients[i % 2].post("/v1/applications", json=body, headers=writer)
                for i, body in enumerate(bodies)
            )
        )
        others = [a for a, body in zip(answers, bodies, strict=True) if body != application(1)]
        twins = [a for a, body in zip(answers, bodies, strict=True) if body == application(1)]
        assert [a.status_code for a in others] == [201] * 10, [a.text for a in others]
        assert_race_settled(twins, ("child.citizen_id", "application_unique"))
        assert await replicas.count(Application) == 11
        assert await replicas.count(ApplicationEvent) == 11
        assert await events(replicas, "enrollment.application.submitted") == 11

    @pytest.mark.parametrize(
        ("first_choices", "outcomes"),
        [([B, "2115009999"], ["InvalidInput", "Submitted"]), ([A, B], ["Submitted", "Conflict"])],
    )
    async def test_a_child_twice_in_one_batch_is_a_duplicate_only_if_the_first_was_recorded(
        self, replicas: Replicas, first_choices: list[str], outcomes: list[str]
    ) -> None:
        """As if the two had come one after the other: a first one refused for its choices
        leaves the child free for the second."""
        family = Principal(
            "test-client", frozenset({"enrollment:write"}), Jurisdiction(("150602",))
        )
        first = ApplicationCreate.model_validate({**application(1), "choices": first_choices})
        second = ApplicationCreate.model_validate(application(1))
        async with replicas.apps[0].state.sessionmaker() as session:
            answered = await submission.submit_applications(
                session,
                [submission.Submission(family, first), submission.Submission(family, second)],
                secret=TEST_PSEUDONYM_KEY.encode(),
                today=china_today(),
            )
            await session.commit()
        assert [type(a).__name__ for a in answered] == outcomes
        assert await replicas.count(Application) == 1

    async def test_twenty_checks_of_one_document_at_once_leave_one_verification(
        self, replicas: Replicas, writer: dict[str, str]
    ) -> None:
        created = await replicas.client.post(
            "/v1/applications", json=application(1), headers=writer
        )
        assert created.status_code == 201, created.text
        path = f"/v1/applications/{created.json()['id']}/verifications/hukou_booklet"
        check = {"result": "confirmed", "source": "公安 户籍 register"}
        answers = await replicas.race("PUT", path, json=check, headers=writer)
        # each check that got through is the latest in turn; one that raced is told to resend
        recorded = assert_race_settled(
            answers,
            ("path.document", "verification_unique"),
            ("header.if-match", "version_current"),
            won=200,
            winners=None,
        )
        assert await replicas.count(ApplicationVerification) == 1
        checked = ApplicationEvent.action == "document_checked"
        assert await replicas.count(ApplicationEvent, checked) == len(recorded)


class TestSeatPlan:
    async def test_one_plan_put_twenty_times_at_once_is_created_once(
        self, replicas: Replicas, writer: dict[str, str]
    ) -> None:
        await register_schools(replicas, writer)
        plan = {"level": "primary", "planned_classes": 6, "class_sizes": [44, 45]}
        answers = await replicas.race(
            "PUT", f"/v1/schools/{A}/seats/{YEAR}", json=plan, headers=writer
        )
        # after the plan is stored, the same plan again is a 200 that changes nothing
        assert_race_settled(answers, ("level", "seat_plan_unique"), later=frozenset({200}))
        assert await replicas.count(SeatPlan) == 1
        async with replicas.apps[0].state.sessionmaker() as session:
            assert await session.scalar(select(SeatPlan.version)) == 1
        assert await events(replicas, "enrollment.school_seats.changed") == 1


class TestAdmissionConfirmation:
    async def test_a_runs_admissions_confirmed_twenty_times_at_once_admit_each_child_once(
        self, replicas: Replicas, writer: dict[str, str]
    ) -> None:
        client = replicas.client
        await setup_county(client, writer, copy.deepcopy(POLICY))
        owner, renter, _ = await three_families(client, writer)
        for code in (stored_run.B, stored_run.C):
            seats = {"level": "primary", "planned_classes": 1, "class_cap": 1}
            response = await client.put(
                f"/v1/schools/{code}/seats/{YEAR}", json=seats, headers=writer
            )
            assert response.status_code == 201, response.text
        run = await client.post("/v1/assignment-runs", json=stored_run.RUN, headers=writer)
        assert run.status_code == 201, run.text
        answers = await replicas.race(
            "POST", f"/v1/assignment-runs/{run.json()['id']}/admissions", json={}, headers=writer
        )
        # later ones hear the check's admissions_confirmed_once; one that raced is refused by
        # the admission key, whose rule says the same of its children: admitted_once
        assert_race_settled(
            answers,
            ("path.run_id", "admissions_confirmed_once"),
            ("path.run_id", "admitted_once"),
        )
        async with replicas.apps[0].state.sessionmaker() as session:
            admitted = set(await session.scalars(select(Admission.application_id)))
        assert {str(a) for a in admitted} == {owner, renter}
        assert await events(replicas, "enrollment.admission.confirmed") == 2


class TestVersionedDocuments:
    """Each request adds the next version: requests that got through have versions 1…n without
    a gap or a twin; one that numbered a version a concurrent one took is told to resend."""

    async def test_zone_maps_imported_twenty_times_at_once_number_their_versions_once(
        self, replicas: Replicas, writer: dict[str, str]
    ) -> None:
        await register_schools(replicas, writer)
        answers = await replicas.race("POST", "/v1/zone-maps", json=ZONES, headers=writer)
        stored = assert_race_settled(answers, ("year", "zone_map_version_unique"), winners=None)
        assert sorted(a.json()["version"] for a in stored) == list(range(1, len(stored) + 1))
        assert await replicas.count(ZoneMap) == len(stored)
        assert await events(replicas, "enrollment.zone_map.published") == len(stored)

    async def test_priority_rules_published_twenty_times_at_once_number_their_versions_once(
        self, replicas: Replicas, writer: dict[str, str]
    ) -> None:
        answers = await replicas.race(
            "PUT", f"/v1/priority-policies/150602/{YEAR}/primary", json=POLICY, headers=writer
        )
        stored = assert_race_settled(answers, ("version", "policy_version_unique"), winners=None)
        assert sorted(a.json()["version"] for a in stored) == list(range(1, len(stored) + 1))
        async with replicas.apps[0].state.sessionmaker() as session:
            versions = list(await session.scalars(select(PriorityPolicy.version)))
        assert sorted(versions) == list(range(1, len(stored) + 1))
