"""Issue 20 item 3: children's and guardians' personal data encrypted at rest.

An application's citizen ID, 学籍号, name, guardian (name, relation, phone) and home address, and
an admission's 学籍号, are stored as `enc:1:<algorithm>:<key id>:…` (junheng_kit.fieldcrypt);
the one-application-per-child-and-year rule and the lookup by citizen ID go through the keyed
blind index `application.citizen_id_index`. The answers are those of the plaintext days (the
other API tests are unchanged).
"""

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission.repository import citizen_id_index
from enrollment.app import create_app
from enrollment.db import Base
from enrollment.models import Application  # noqa: F401 - every table, as the CLI sees them
from enrollment.settings import EnrollmentSettings
from junheng_kit import cli, fieldcrypt
from junheng_kit.testing.plugin import (
    auth,
    running_replicas,
    service_settings,
    use_crypto_profile,
)
from junheng_kit.tokens import TokenSigner

from .test_applications_api import POLICY, ZONES, A, B, C, J, application, cid, error_of

PERSONAL = ("citizen_id", "student_number", "child_name", "guardian", "home_address")
PLAINTEXT = (
    "150602201903150",
    "王小明",
    "王建国",
    "13800000000",
    "东胜区某路1号",
    "某街道",
    "R0001",
)


async def setup_county(client: AsyncClient, writer: dict[str, str]) -> None:
    """test_applications_api's county: schools A, B, C, J, zones Z1 / Z2, the example policy."""
    for code, levels, lon in (
        (A, ["primary"], 109.96),
        (B, ["primary"], 109.975),
        (C, ["nine_year"], 109.985),
        (J, ["junior"], 109.98),
    ):
        school = {
            "school_code": code,
            "name": f"测试学校{code[-1]}",
            "levels": levels,
            "county_code": "150602",
            "location": {"longitude": lon, "latitude": 39.81},
            "planned_capacity": 1000,
        }
        response = await client.post("/v1/schools", json=school, headers=writer)
        assert response.status_code == 201, response.text
    response = await client.post("/v1/zone-maps", json=ZONES, headers=writer)
    assert response.status_code == 201, response.text
    response = await client.put(
        "/v1/priority-policies/150602/2025/primary", json=POLICY, headers=writer
    )
    assert response.status_code == 201, response.text


def with_student_number(body: dict[str, Any]) -> dict[str, Any]:
    """The child's 学籍号 and a 居住证 with its number (the other personal fields)."""
    body["child"]["student_number"] = "G" + body["child"]["citizen_id"]
    body["household"]["residence_permit"] = {"issued_on": "2023-01-01", "number": "R0001"}
    return body


async def stored(session: AsyncSession) -> list[dict[str, Any]]:
    """The application rows as the database holds them (text SQL: no column type decrypts)."""
    rows = await session.execute(
        text(
            "SELECT citizen_id, student_number, child_name, guardian, home_address, "
            "citizen_id_index, household FROM application"
        )
    )
    return [dict(row._mapping) for row in rows]


class TestAtRest:
    async def test_a_stored_application_holds_no_plaintext_and_answers_as_before(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str],
        pii_writer: dict[str, str],
    ) -> None:  # fmt: skip
        await setup_county(client, writer)
        body = with_student_number(application())
        created = await client.post("/v1/applications", json=body, headers=pii_writer)
        assert created.status_code == 201, created.text
        (row,) = await stored(session)
        for column in PERSONAL:
            assert row[column].startswith("enc:1:aes256gcm:"), column
        raw = " ".join(str(v) for v in row.values())
        for plain in PLAINTEXT:
            assert plain not in raw
        assert row["citizen_id_index"] == citizen_id_index(body["child"]["citizen_id"])
        household = row["household"]  # plain JSON but for its personal leaves
        household = json.loads(household) if isinstance(household, str) else household
        assert household["hukou"]["county_code"] == "150602"
        assert household["hukou"]["address"].startswith("enc:1:aes256gcm:")
        assert household["residence_permit"]["number"].startswith("enc:1:aes256gcm:")

        read = await client.get(f"/v1/applications/{created.json()['id']}", headers=pii_writer)
        answer = read.json()
        assert answer["child"]["citizen_id"] == body["child"]["citizen_id"]
        assert answer["child"]["student_number"] == body["child"]["student_number"]
        assert answer["child"]["name"] == "王小明"
        assert answer["guardian"] == body["guardian"]
        assert answer["home"]["address"] == "东胜区某路1号"
        assert answer["household"]["hukou"]["address"] == "某街道"
        assert answer["household"]["residence_permit"]["number"] == "R0001"
        assert answer == created.json()

    async def test_a_stored_idempotent_answer_is_sealed_and_replays_as_given(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str],
        pii_writer: dict[str, str],
    ) -> None:  # fmt: skip
        """The answer kept for an Idempotency-Key (24 hours) holds what the application held:
        it is sealed too, and a retry still gets it back byte for byte."""
        await setup_county(client, writer)
        body = with_student_number(application())
        headers = {**pii_writer, "Idempotency-Key": "family-app-7"}
        created = await client.post("/v1/applications", json=body, headers=headers)
        assert created.status_code == 201, created.text
        stored_body = (
            await session.execute(
                text("SELECT body FROM idempotency_record WHERE key = 'family-app-7'")
            )
        ).scalar_one()
        assert bytes(stored_body).startswith(b"enc:1:aes256gcm:")
        for plain in PLAINTEXT:
            assert plain.encode() not in bytes(stored_body)
        again = await client.post("/v1/applications", json=body, headers=headers)
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.content == created.content

    def test_the_blind_index_is_of_the_normalised_citizen_id(self) -> None:
        """Spacing and the case of the check character X do not change the index; another
        kind of value with the same characters has another index."""
        fieldcrypt.configure(*fieldcrypt.dev_field_keys())
        number = "11010519491231002X"
        assert citizen_id_index(f"  {number.lower()} ") == citizen_id_index(number)
        assert len(citizen_id_index(number)) == 32
        assert citizen_id_index(number) != fieldcrypt.blind_index(number, "name")

    async def test_the_search_and_the_one_per_year_rule_go_through_the_index(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str],
        pii_writer: dict[str, str],
    ) -> None:  # fmt: skip
        await setup_county(client, writer)
        body = application("11010520190101002", birth_date="2019-01-01")
        created = await client.post("/v1/applications", json=body, headers=writer)
        assert created.status_code == 201, created.text
        # the index is all the query sees: a row whose index names the child is found, whatever
        # its stored (encrypted) citizen ID
        found = await client.post(
            "/v1/applications/search",
            json={"citizen_id": body["child"]["citizen_id"]},
            headers=pii_writer,
        )
        assert [a["id"] for a in found.json()["items"]] == [created.json()["id"]]
        other = cid("15060220190315002")
        await session.execute(
            text("UPDATE application SET citizen_id_index = :index"),
            {"index": citizen_id_index(other)},
        )
        again = await client.post(
            "/v1/applications/search", json={"citizen_id": other}, headers=pii_writer
        )
        assert [a["id"] for a in again.json()["items"]] == [created.json()["id"]]
        duplicate = await client.post(
            "/v1/applications", json=application("15060220190315002"), headers=writer
        )
        assert duplicate.status_code == 409
        assert error_of(duplicate) == ("child.citizen_id", "application_unique")


async def test_a_value_moved_to_another_column_is_a_logged_server_fault(
    client: AsyncClient, app: FastAPI, session: AsyncSession, writer: dict[str, str],
    pii_writer: dict[str, str],
) -> None:  # fmt: skip
    """A stored value opens only in its own column (the column's name is the associated data):
    copied into another, reading it fails. No request can store such a value (every write
    encrypts), so it is the server's fault: the answer is the usual 500 problem, which shows
    neither the value nor the stored text, and the reason is logged."""
    await setup_county(client, writer)
    created = await client.post("/v1/applications", json=application(), headers=writer)
    assert created.status_code == 201, created.text
    await session.execute(text("UPDATE application SET child_name = citizen_id"))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as raw_client:
        read = await raw_client.get(f"/v1/applications/{created.json()['id']}", headers=pii_writer)
    assert read.status_code == 500
    assert read.headers["content-type"] == "application/problem+json"
    assert "enc:1:" not in read.text
    assert "150602" not in read.text
    row = (await session.execute(text("SELECT child_name FROM application"))).scalar_one()
    with pytest.raises(fieldcrypt.FieldUnreadable, match="altered or moved"):
        fieldcrypt.decrypt(row, "enrollment.application.child_name")


async def test_under_the_guomi_profile_the_fields_are_sm4_values(fresh_database_url: str) -> None:
    """国密: the same service stores SM4-GCM values (16-byte keys) and finds them by the HMAC-SM3
    blind index (tokens signed SM3withSM2, as the profile wants)."""
    with use_crypto_profile("guomi"):
        signer = TokenSigner.generate(issuer="junheng-gateway", audience="junheng")
        scopes = ("enrollment:read", "enrollment:write", "enrollment:pii")
        pii_writer = auth(signer.issue(subject="t", scopes=scopes, jurisdiction=("150602",)))
        writer = pii_writer
        settings = service_settings(
            EnrollmentSettings,
            database_url=fresh_database_url,
            jwks_json=json.dumps(signer.jwks()),
            nats_url=None,
            crypto_profile="guomi",
        )
        async with running_replicas([create_app(settings)]) as replicas:
            client = replicas.client
            await setup_county(client, writer)
            body = with_student_number(application())
            created = await client.post("/v1/applications", json=body, headers=pii_writer)
            assert created.status_code == 201, created.text
            async with replicas.apps[0].state.sessionmaker() as session:
                (row,) = await stored(session)
            for column in PERSONAL:
                assert row[column].startswith("enc:1:sm4gcm:dev:"), column
            found = await client.post(
                "/v1/applications/search",
                json={"citizen_id": body["child"]["citizen_id"]},
                headers=pii_writer,
            )
            (item,) = found.json()["items"]
            assert item["child"]["name"] == "王小明"
            assert item["guardian"] == body["guardian"]


async def test_reencrypt_puts_every_value_under_the_new_key_and_answers_stay(
    fresh_database_url: str, jwks_json: str, writer: dict[str, str], pii_writer: dict[str, str]
) -> None:
    """Rotation (docs/runbook.md): a new key first in the ring, then `python -m enrollment
    reencrypt` rewrites every value still under the old key — the columns and the household's
    leaves — and a second run finds nothing left; the application reads back the same."""
    settings = service_settings(
        EnrollmentSettings, database_url=fresh_database_url, jwks_json=jwks_json, nats_url=None
    )
    async with running_replicas([create_app(settings)]) as replicas:
        await setup_county(replicas.client, writer)
        body = with_student_number(application())
        created = await replicas.client.post("/v1/applications", json=body, headers=pii_writer)
        assert created.status_code == 201, created.text
    old_keys, index_key = fieldcrypt.dev_field_keys()
    rotated = service_settings(
        EnrollmentSettings,
        database_url=fresh_database_url,
        jwks_json=jwks_json,
        nats_url=None,
        field_keys=SecretStr(f"{fieldcrypt.new_key('k2')},{old_keys}"),
        blind_index_key=SecretStr(index_key),
    )
    assert await cli.reencrypt(rotated, Base.metadata) == {
        "application": 1,
        "admission": 0,
        "application blind indexes": 0,  # the same MAC and key: the index stands
        "application.household": 1,
    }
    assert set((await cli.reencrypt(rotated, Base.metadata)).values()) == {0}
    async with running_replicas([create_app(rotated)]) as replicas:
        async with replicas.apps[0].state.sessionmaker() as session:
            (row,) = await stored(session)
        for column in PERSONAL:
            assert row[column].startswith("enc:1:aes256gcm:k2:"), column
        assert "aes256gcm:k2:" in str(row["household"])
        assert "aes256gcm:dev:" not in str(row["household"])
        read = await replicas.client.get(
            f"/v1/applications/{created.json()['id']}", headers=pii_writer
        )
        assert read.json() == created.json()
