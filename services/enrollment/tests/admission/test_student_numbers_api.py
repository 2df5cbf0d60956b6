"""全国学籍号 on applications and admissions over HTTP, on SQLite and PostgreSQL (issue 19).

A family may give the child's 学籍号 with the application: checked by the kit's
`check_student_number` (G + citizen ID, J by the citizen-ID rule, L temporary; domain.md §1.4),
a G number must carry the child's citizen ID, and the admission keeps it. Events carry only the
number's pseudonymous key: a G number is the citizen ID with a letter in front.
"""

import json
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission.models import Admission, Application
from junheng_kit.identifiers import student_key, student_number_key
from junheng_kit.tables import OutboxMessage
from junheng_kit.testing.plugin import TEST_PSEUDONYM_KEY

from .test_applications_api import application, cid, counts, county, error_of
from .test_stored_run_api import RUN, apply_and_verify, ok, policy, setup_county

__all__ = ["county", "policy"]  # fixtures used by name

CHILD = cid("15060220190315001")  # the applications tests' child, born 2019-03-15
OTHER = cid("15060220190315002")  # another valid ID
WRONG_CHECK = CHILD[:17] + ("0" if CHILD[17] != "0" else "1")
SECRET = TEST_PSEUDONYM_KEY.encode()


def with_number(number: str) -> dict[str, Any]:
    body = application()
    body["child"]["student_number"] = number
    return body


@pytest.mark.usefixtures("county")
class TestApplications:
    @pytest.mark.parametrize(
        ("sent", "kept"),
        [
            ("g" + CHILD.lower(), "G" + CHILD),  # upper-cased
            ("J150602201903150018", "J150602201903150018"),  # hand-computed, see the kit test
            ("L150602201903154821", "L150602201903154821"),  # temporary: no check character
        ],
    )
    async def test_the_number_is_kept_and_read_back(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str], sent: str,
        kept: str, pii_writer: dict[str, str],
    ) -> None:  # fmt: skip
        response = await client.post("/v1/applications", json=with_number(sent), headers=pii_writer)
        assert response.status_code == 201, response.text
        assert response.json()["child"]["student_number"] == kept
        again = await client.get(f"/v1/applications/{response.json()['id']}", headers=pii_writer)
        assert again.json()["child"]["student_number"] == kept
        # without enrollment:pii the number is masked as the citizen ID it is built on
        masked = await client.get(f"/v1/applications/{response.json()['id']}", headers=writer)
        assert masked.json()["child"]["student_number"] == kept[:7] + "********" + kept[-4:]
        assert await session.scalar(select(Application.student_number)) == kept
        # the list has no personal data: neither the ID nor the number
        listed = await client.get("/v1/applications", headers=writer)
        assert kept not in listed.text
        assert CHILD not in listed.text

    async def test_without_a_number_the_application_has_none(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.post("/v1/applications", json=application(), headers=writer)
        assert response.status_code == 201, response.text
        assert response.json()["child"]["student_number"] is None

    @pytest.mark.parametrize(
        ("number", "rule"),
        [
            ("G" + OTHER, "student_number_matches_citizen_id"),
            (
                "G" + CHILD[:17] + ("0" if CHILD[17] != "0" else "1"),
                "student_number_check_character",
            ),
            ("J150602201903150019", "student_number_check_character"),  # J…0018 is right
            ("L150602201902304821", "student_number_birth_date"),  # 30 February
            (CHILD, "student_number_format"),  # the citizen ID without its letter
            ("1506020119031500180", "student_number_format"),
        ],
    )
    async def test_a_bad_number_is_422_naming_the_field_and_rule_and_stores_nothing(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str], number: str,
        rule: str,
    ) -> None:  # fmt: skip
        response = await client.post("/v1/applications", json=with_number(number), headers=writer)
        assert response.status_code == 422, response.text
        assert error_of(response) == ("child.student_number", rule)
        assert await counts(session) == (0, 0)

    async def test_the_submitted_event_carries_neither_the_number_nor_the_id(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        response = await client.post(
            "/v1/applications", json=with_number("G" + CHILD), headers=writer
        )
        assert response.status_code == 201, response.text
        payload = await session.scalar(
            select(OutboxMessage.payload).where(
                OutboxMessage.subject == "enrollment.application.submitted"
            )
        )
        assert CHILD not in str(payload)


B, C = "2115000002", "3115000003"
HUKOU_HERE = {
    "county_code": "150602",
    "type": "urban",
    "address": "二小片区",
    "location": {"longitude": 109.98, "latitude": 39.81},
}


async def test_the_admission_keeps_the_number_and_its_event_carries_only_its_key(
    client: AsyncClient, session: AsyncSession, writer: dict[str, str], policy: dict[str, Any]
) -> None:
    await setup_county(client, writer, policy)
    owner_id = cid("15060220190101001")
    g_number, j_number = "G" + owner_id, "J150602201903150018"
    household = {"hukou": HUKOU_HERE, "housing": "owned"}
    owner = await apply_and_verify(client, writer, "15060220190101001", household, g_number)
    renter = await apply_and_verify(
        client, writer, "15060220190202002", {**household, "housing": "rented"}, j_number
    )
    none = await apply_and_verify(
        client, writer, "15060220190303003", {**household, "housing": "rented"}
    )
    for code in (B, C):
        await ok(
            await client.put(
                f"/v1/schools/{code}/seats/2025",
                json={"level": "primary", "planned_classes": 1, "class_cap": 2},
                headers=writer,
            ),
            201,
        )
    run = await ok(await client.post("/v1/assignment-runs", json=RUN, headers=writer), 201)
    confirmed = await ok(
        await client.post(f"/v1/assignment-runs/{run['id']}/admissions", json={}, headers=writer),
        201,
    )
    numbers = {a["application_id"]: a["student_number"] for a in confirmed["admissions"]}
    assert numbers == {owner: g_number, renter: j_number, none: None}
    stored = dict(
        (await session.execute(select(Admission.application_id, Admission.student_number))).all()
    )
    assert {str(k): v for k, v in stored.items()} == numbers

    events = {
        data["application_id"]: data
        for data in (
            json.loads(p)["data"]
            for p in await session.scalars(
                select(OutboxMessage.payload).where(
                    OutboxMessage.subject == "enrollment.admission.confirmed"
                )
            )
        )
    }
    assert events[owner]["student_number_key"] == student_number_key(SECRET, g_number)
    assert events[renter]["student_number_key"] == student_number_key(SECRET, j_number)
    assert events[none]["student_number_key"] is None
    assert events[owner]["student_key"] == student_key(SECRET, owner_id)
    for data in events.values():
        text = json.dumps(data)
        assert owner_id not in text
        assert g_number not in text
        assert j_number not in text
