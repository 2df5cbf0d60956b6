"""The roster snapshot at rest (issue 20 item 3), SQLite and PostgreSQL: every enrolled pupil's
keys of a county (the blind indexes of the citizen ID and of the name with the birth date; no
ID or name since format 3), stored sealed as ONE value (one AES-GCM / SM4-GCM operation,
nothing per row); a snapshot that no key opens is a copy read anew from the tables, never a
failed job; `python -m assistance reencrypt` reseals the ones under an old key."""

from __future__ import annotations

import io
from collections.abc import Iterator
from uuid import UUID

import polars as pl
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assistance.identification import snapshot
from assistance.identification.models import RosterSnapshot
from assistance.identification.repository import IdentificationRepository, reencrypt_snapshots
from assistance.students.models import citizen_id_index
from junheng_kit import fieldcrypt
from junheng_kit.testing.plugin import TokenFactory, use_crypto_profile

from .conftest import WANG, run_job

pytestmark = pytest.mark.usefixtures("schools")


async def sealed(session: AsyncSession) -> bytes:
    payload = await session.scalar(
        text("SELECT payload FROM roster_snapshot WHERE county_code = '150602'")
    )
    assert isinstance(payload, bytes)
    return payload


@pytest.fixture
def dev_keys() -> Iterator[None]:
    """The app's keys put back after a test that changed the process's keyring."""
    yield
    fieldcrypt.configure(*fieldcrypt.dev_field_keys())


class TestSealedSnapshot:
    async def test_the_stored_snapshot_is_one_sealed_value_without_plaintext(
        self,
        client: AsyncClient,
        app: FastAPI,
        session: AsyncSession,
        token: TokenFactory,
        county: dict[str, UUID],
    ) -> None:
        await run_job(client, app, token)
        payload = await sealed(session)
        assert payload.startswith(b"enc:1:aes256gcm:dev:")
        assert WANG.encode() not in payload
        assert "王芳".encode() not in payload
        with pytest.raises(Exception):  # noqa: B017 - not a Parquet file as stored
            pl.read_parquet(io.BytesIO(payload))
        roster = snapshot.decode(fieldcrypt.decrypt_bytes(payload, snapshot.PAYLOAD))
        assert citizen_id_index(WANG) in roster["citizen_key"].to_list()
        assert set(roster.columns) == {"student_id", "citizen_key", "person_key", "school_code"}
        assert roster.height == 6

    async def test_a_snapshot_no_key_opens_is_read_anew_from_the_tables(
        self,
        client: AsyncClient,
        app: FastAPI,
        session: AsyncSession,
        token: TokenFactory,
        county: dict[str, UUID],
    ) -> None:
        """A value sealed for another column (moved) does not open: the job reads the tables
        and counts every pupil (a snapshot is a copy; no 500, no failed job)."""
        await run_job(client, app, token)
        payload = fieldcrypt.decrypt_bytes(await sealed(session), snapshot.PAYLOAD)
        await session.execute(
            update(RosterSnapshot)
            .where(RosterSnapshot.county_code == "150602")
            .values(payload=fieldcrypt.encrypt_bytes(payload, "assistance.student.name"))
        )
        await session.commit()
        version = int(await session.scalar(text("SELECT version FROM roster_snapshot")) or 0)
        assert await IdentificationRepository(session).roster_snapshot("150602", version) is None
        again = await run_job(client, app, token, as_of="2026-09-02")
        assert again["status"] == "succeeded"
        assert again["counts"]["students"] == 6

    async def test_reencrypt_reseals_the_snapshot_under_the_new_key(
        self,
        client: AsyncClient,
        app: FastAPI,
        session: AsyncSession,
        token: TokenFactory,
        county: dict[str, UUID],
        dev_keys: None,
    ) -> None:
        await run_job(client, app, token)
        dev, index_key = fieldcrypt.dev_field_keys()
        fieldcrypt.configure(f"{fieldcrypt.new_key('k2')},{dev}", index_key)
        sessions: async_sessionmaker[AsyncSession] = app.state.sessionmaker
        assert await reencrypt_snapshots(sessions) == 1
        assert await reencrypt_snapshots(sessions) == 0
        async with sessions() as fresh:
            payload = await sealed(fresh)
        assert payload.startswith(b"enc:1:aes256gcm:k2:")
        roster = snapshot.decode(fieldcrypt.decrypt_bytes(payload, snapshot.PAYLOAD))
        assert roster.height == 6


async def test_under_the_guomi_profile_the_snapshot_is_sealed_with_sm4(
    session: AsyncSession, dev_keys: None
) -> None:
    roster = pl.DataFrame(
        {"student_id": ["s1"], "citizen_key": ["k" * 32], "person_key": ["p"], "school_code": ["x"]}
    )
    with use_crypto_profile("guomi"):
        fieldcrypt.configure(*fieldcrypt.dev_field_keys())  # 16-byte SM4 key
        repository = IdentificationRepository(session)
        await repository.store_roster_snapshot("150699", 7, roster, snapshot.encode(roster))
        payload = await session.scalar(
            text("SELECT payload FROM roster_snapshot WHERE county_code = '150699'")
        )
        assert isinstance(payload, bytes)
        assert payload.startswith(b"enc:1:sm4gcm:dev:")
        read = await repository.roster_snapshot("150699", 7)
        assert read is not None
        assert read["citizen_key"].to_list() == ["k" * 32]
