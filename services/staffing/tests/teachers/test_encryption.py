"""Teachers' citizen IDs and names stored encrypted (issue 20 item 3), on both databases: a row
holds no plaintext, the registry finds and keeps an ID unique through its blind index, answers
are what they were, a value moved to another column does not open, and the 国密 profile stores
SM4-GCM values."""

import json
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit import fieldcrypt
from junheng_kit.cli import reencrypt
from junheng_kit.testing.plugin import (
    auth,
    running_replicas,
    service_settings,
    use_crypto_profile,
)
from junheng_kit.tokens import TokenSigner
from staffing.app import create_app
from staffing.db import Base
from staffing.settings import StaffingSettings
from staffing.teachers.models import citizen_id_index
from staffing.teachers.repository import TeacherRepository

from .conftest import PRIMARY, citizen_id, seed_schools, teacher

ID = citizen_id("19850312", 21)
ID_WITH_X = "11010519491231002X"  # the check character X (GB 11643 example)


async def stored(session: AsyncSession) -> Any:
    return (
        await session.execute(text("SELECT id, citizen_id, name, citizen_id_index FROM teacher"))
    ).one()


@pytest.mark.usefixtures("schools")
class TestStoredEncrypted:
    async def test_a_registered_teacher_holds_no_plaintext_and_reads_back_the_same(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        created = await client.post("/v1/teachers", json=teacher(), headers=writer)
        assert created.status_code == 201, created.text
        raw = await stored(session)
        assert raw.citizen_id.startswith("enc:1:aes256gcm:")
        assert ID not in raw.citizen_id
        assert raw.name.startswith("enc:1:aes256gcm:")
        assert "张老师" not in raw.name
        assert raw.citizen_id_index == citizen_id_index(ID)
        assert len(raw.citizen_id_index) == 32
        read = await client.get(f"/v1/teachers/{created.json()['id']}", headers=writer)
        assert read.status_code == 200, read.text
        assert read.json()["name"] == "张老师"  # decrypted for the answer, as before

    async def test_the_same_id_written_otherwise_is_found_by_its_index(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        assert citizen_id_index(f" {ID_WITH_X.lower()} ") == citizen_id_index(ID_WITH_X)
        assert citizen_id_index(ID) != citizen_id_index(ID_WITH_X)
        created = await client.post("/v1/teachers", json=teacher(), headers=writer)
        assert created.status_code == 201, created.text
        found = await TeacherRepository(session).find_by_citizen_id(f"{ID} ")
        assert found is not None
        assert str(found.id) == created.json()["id"]
        postings = await TeacherRepository(session).postings_by_citizen_id([ID, ID_WITH_X])
        assert list(postings) == [ID]

    async def test_a_value_moved_to_another_column_does_not_open(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        """The column's name is the associated data: the name's ciphertext copied into the ID's
        column is refused (FieldUnreadable). No client can cause that (the service alone writes
        ciphertexts): reading such a row is a server fault, answered 500 with the reason logged
        (junheng_kit.problems), never with the value."""
        created = await client.post("/v1/teachers", json=teacher(), headers=writer)
        assert created.status_code == 201, created.text
        raw = await stored(session)
        with pytest.raises(fieldcrypt.FieldUnreadable, match="altered or moved"):
            fieldcrypt.decrypt(raw.name, "staffing.teacher.citizen_id")
        assert fieldcrypt.decrypt(raw.citizen_id, "staffing.teacher.citizen_id") == ID


async def test_the_guomi_profile_stores_sm4_values(fresh_database_url: str) -> None:
    with use_crypto_profile("guomi"):
        signer = TokenSigner.generate(issuer="junheng-gateway", audience="junheng")  # SM2
        writer = auth(
            signer.issue(
                subject="test-client",
                scopes=["staffing:read", "staffing:write"],
                jurisdiction=["150602"],
            )
        )
        settings = service_settings(
            StaffingSettings,
            database_url=fresh_database_url,
            jwks_json=json.dumps(signer.jwks()),
            nats_url=None,
        )
        app: FastAPI = create_app(settings)
        async with running_replicas([app]) as replicas:
            async with app.state.sessionmaker() as session:
                await seed_schools(session)
            created = await replicas.client.post("/v1/teachers", json=teacher(), headers=writer)
            assert created.status_code == 201, created.text
            async with app.state.sessionmaker() as session:
                raw = await stored(session)
                assert raw.citizen_id.startswith("enc:1:sm4gcm:")
                assert raw.name.startswith("enc:1:sm4gcm:")
                assert raw.citizen_id_index == citizen_id_index(ID)  # HMAC-SM3, 32 hex
                # the name's ciphertext put in the ID's column: the row no longer opens → 500
                await session.execute(
                    text("UPDATE teacher SET citizen_id = name WHERE id = :id"), {"id": raw.id}
                )
                await session.commit()
            teacher_id = created.json()["id"]
            broken = await replicas.client.get(f"/v1/teachers/{teacher_id}", headers=writer)
            assert broken.status_code == 500
            assert broken.headers["content-type"] == "application/problem+json"
            assert ID not in broken.text
            assert "张老师" not in broken.text
            listed = await replicas.client.get(
                f"/v1/teachers?school_code={PRIMARY}", headers=writer
            )
            assert listed.status_code == 500


async def test_reencrypt_rewrites_the_values_under_the_new_key(
    fresh_database_url: str, jwks_json: str, writer: dict[str, Any]
) -> None:
    """`python -m staffing reencrypt` after a rotation: the old key's values rewritten under the
    key put first, counted; a second run finds nothing to do; the answers stay the same."""
    old, index_key = fieldcrypt.new_key("k1"), fieldcrypt.new_index_key()
    keys = {"jwks_json": jwks_json, "nats_url": None, "database_url": fresh_database_url}
    app = create_app(
        service_settings(
            StaffingSettings,
            field_keys=SecretStr(old),
            blind_index_key=SecretStr(index_key),
            **keys,
        )
    )
    async with running_replicas([app]) as replicas:
        async with app.state.sessionmaker() as session:
            await seed_schools(session)
        created = await replicas.client.post("/v1/teachers", json=teacher(), headers=writer)
        assert created.status_code == 201, created.text
    rotated = service_settings(
        StaffingSettings,
        field_keys=SecretStr(f"{fieldcrypt.new_key('k2')},{old}"),
        blind_index_key=SecretStr(index_key),
        **keys,
    )
    first = await reencrypt(rotated, Base.metadata)
    assert first == {"teacher": 1, "teacher blind indexes": 0}
    assert await reencrypt(rotated, Base.metadata) == {"teacher": 0, "teacher blind indexes": 0}
    app = create_app(rotated)
    async with running_replicas([app]) as replicas:
        async with app.state.sessionmaker() as session:
            raw = await stored(session)
        assert raw.citizen_id.startswith("enc:1:aes256gcm:k2:")
        assert raw.name.startswith("enc:1:aes256gcm:k2:")
        read = await replicas.client.get(f"/v1/teachers/{created.json()['id']}", headers=writer)
        assert read.json()["name"] == "张老师"
