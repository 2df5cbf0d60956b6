"""Sensitive fields encrypted at rest (junheng_kit.fieldcrypt) on real SQLite and PostgreSQL:
nothing readable in the table, lookups and uniqueness through the blind index, altered or moved
values refused, key rotation and a profile change by re-encryption while values stay readable."""

import base64
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from junheng_kit import fieldcrypt
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.fieldcrypt import (
    Encrypted,
    FieldUnreadable,
    blind_index,
    configure,
    normalise_citizen_id,
    normalise_name,
    normalise_phone,
)
from junheng_kit.testing.plugin import use_crypto_profile

metadata = MetaData()
PUPIL = Table(
    "pupil",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("citizen_id", Encrypted("test.pupil.citizen_id")),
    Column("citizen_id_index", String(32), unique=True),
    Column("name", Encrypted("test.pupil.name")),
)
ID = "15060220190101123X"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


AES_1, AES_2, SM4_1 = b64(os.urandom(32)), b64(os.urandom(32)), b64(os.urandom(16))
INDEX_KEY = b64(os.urandom(32))


@pytest.fixture(autouse=True)
def ring() -> Iterator[None]:
    configure(f"k1={AES_1}", INDEX_KEY)
    yield
    fieldcrypt._ring = None


@pytest.fixture
async def sessions(fresh_database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(fresh_database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def add(sessions: async_sessionmaker[AsyncSession], n: int, citizen_id: str) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            insert(PUPIL).values(
                id=n,
                citizen_id=citizen_id,
                citizen_id_index=blind_index(normalise_citizen_id(citizen_id), "citizen_id"),
                name=f"王小{n}",
            )
        )


async def raw(sessions: async_sessionmaker[AsyncSession], column: str) -> list[str]:
    async with sessions() as session:
        rows = await session.execute(text(f"SELECT {column} FROM pupil ORDER BY id"))  # noqa: S608
        return [r[0] for r in rows]


async def plain(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.execute(select(PUPIL.c.citizen_id, PUPIL.c.name).order_by(PUPIL.c.id))
        return [(r[0], r[1]) for r in rows]


class TestAtRest:
    async def test_values_are_stored_encrypted_and_read_back(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        await add(sessions, 1, ID)
        await add(sessions, 2, ID.lower().replace("x", "9"))
        stored = await raw(sessions, "citizen_id")
        assert all(s.startswith("enc:1:aes256gcm:k1:") for s in stored)
        assert not any(ID in s or "150602" in s for s in stored)
        assert (await plain(sessions))[0] == (ID, "王小1")

    async def test_a_lookup_and_uniqueness_go_through_the_blind_index(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        await add(sessions, 1, ID)
        wanted = blind_index(normalise_citizen_id(" " + ID.lower()), "citizen_id")
        async with sessions() as session:
            found = await session.scalar(
                select(PUPIL.c.id).where(PUPIL.c.citizen_id_index == wanted)
            )
        assert found == 1
        with pytest.raises(IntegrityError):
            await add(sessions, 2, ID.lower())  # the same child again, however typed
        assert blind_index(ID, "citizen_id") != blind_index(ID, "name")  # kinds kept apart

    async def test_an_altered_or_moved_value_is_refused(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        await add(sessions, 1, ID)
        async with sessions() as session, session.begin():  # the ID copied into the name
            await session.execute(text("UPDATE pupil SET name = citizen_id"))
        with pytest.raises(FieldUnreadable, match="altered or moved"):
            await plain(sessions)
        [stored] = await raw(sessions, "citizen_id")
        flipped = stored[:-2] + ("A" if stored[-2] != "A" else "B") + stored[-1]
        async with sessions() as session, session.begin():
            await session.execute(
                text("UPDATE pupil SET citizen_id = :v, name = NULL"), {"v": flipped}
            )
        with pytest.raises(FieldUnreadable):
            await plain(sessions)


class TestRotation:
    async def test_a_new_key_first_then_reencrypt_then_the_old_key_goes(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        for n in range(1, 26):
            await add(sessions, n, f"1506022019010{n:04d}"[:17] + "X")
        before = await plain(sessions)
        configure(f"k2={AES_2},k1={AES_1}", INDEX_KEY)
        await add(sessions, 26, ID)  # written under the new key meanwhile
        columns = {"citizen_id": "test.pupil.citizen_id", "name": "test.pupil.name"}
        rewritten = await fieldcrypt.reencrypt(sessions, PUPIL, columns, batch=10)
        assert rewritten == 25
        assert await fieldcrypt.reencrypt(sessions, PUPIL, columns, batch=10) == 0
        assert all(s.startswith("enc:1:aes256gcm:k2:") for s in await raw(sessions, "name"))
        configure(f"k2={AES_2}", INDEX_KEY)  # the old key dropped
        assert (await plain(sessions))[:25] == before

    async def test_moving_to_the_guomi_profile_reads_the_old_values_and_rewrites_them_sm4(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        await add(sessions, 1, ID)
        with use_crypto_profile("guomi"):
            with pytest.raises(ValueError, match="16-byte keys"):
                configure(f"k1={AES_1}", INDEX_KEY)
            configure(f"g1={SM4_1},k1={AES_1}", INDEX_KEY)
            assert await plain(sessions) == [(ID, "王小1")]  # AES values still open
            columns = {"citizen_id": "test.pupil.citizen_id", "name": "test.pupil.name"}
            assert await fieldcrypt.reencrypt(sessions, PUPIL, columns) == 1
            assert (await raw(sessions, "citizen_id"))[0].startswith("enc:1:sm4gcm:g1:")
            configure(f"g1={SM4_1}", INDEX_KEY)
            assert await plain(sessions) == [(ID, "王小1")]

    async def test_a_profile_switch_recomputes_every_blind_index_and_lookups_work_again(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        for n in range(1, 8):
            await add(sessions, n, f"1506022019010{n:04d}"[:17] + "X")
        await add(sessions, 8, ID)
        indexes = {
            "citizen_id_index": fieldcrypt.IndexOf(
                "citizen_id", "test.pupil.citizen_id", "citizen_id", normalise_citizen_id
            )
        }
        before = await raw(sessions, "citizen_id_index")
        with use_crypto_profile("guomi"):
            configure(f"g1={SM4_1},k1={AES_1}", INDEX_KEY)
            wanted = blind_index(normalise_citizen_id(ID), "citizen_id")  # HMAC-SM3 now
            assert wanted not in before
            assert await fieldcrypt.reindex(sessions, PUPIL, indexes, batch=3) == 8
            assert await fieldcrypt.reindex(sessions, PUPIL, indexes, batch=3) == 0
            async with sessions() as session:
                found = await session.scalar(
                    select(PUPIL.c.id).where(PUPIL.c.citizen_id_index == wanted)
                )
            assert found == 8
        assert not set(before) & set(await raw(sessions, "citizen_id_index"))

    async def test_rows_a_purge_cleared_keep_their_index_and_stay_distinct(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        """Two pseudonymised rows (the citizen ID cleared to "" by a retention purge) are not
        indexed again: the same "" would give both one index."""
        for n in (1, 2, 3):
            await add(sessions, n, f"1506022019010{n:04d}"[:17] + "X")
        async with sessions() as session, session.begin():
            cleared = fieldcrypt.encrypt("", "test.pupil.citizen_id")
            await session.execute(
                text("UPDATE pupil SET citizen_id = :v WHERE id IN (1, 2)"), {"v": cleared}
            )
        indexes = {
            "citizen_id_index": fieldcrypt.IndexOf(
                "citizen_id", "test.pupil.citizen_id", "citizen_id", normalise_citizen_id
            )
        }
        before = await raw(sessions, "citizen_id_index")
        with use_crypto_profile("guomi"):
            configure(f"g1={SM4_1},k1={AES_1}", INDEX_KEY)
            assert await fieldcrypt.reindex(sessions, PUPIL, indexes) == 1  # the third row only
        after = await raw(sessions, "citizen_id_index")
        assert after[:2] == before[:2]
        assert after[2] != before[2]


class TestKeysAndNormalising:
    def test_bad_keyrings_are_refused_naming_the_rule(self) -> None:
        with pytest.raises(ValueError, match="<key id>=<base64 key>"):
            configure("just-a-key", INDEX_KEY)
        with pytest.raises(ValueError, match=r"16 bytes \(SM4\) or 32"):
            configure(f"k1={b64(b'short')}", INDEX_KEY)
        with pytest.raises(ValueError, match="not base64"):
            configure("k1=***", INDEX_KEY)
        with pytest.raises(ValueError, match="at least 16 bytes"):
            configure(f"k1={AES_1}", b64(b"tiny"))

    def test_values_are_normalised_before_indexing(self) -> None:
        assert normalise_citizen_id(" 15060220190101123x ") == ID
        assert (
            normalise_name("阿卜杜拉·买买提")
            == normalise_name("阿卜杜拉 买买提")
            == "阿卜杜拉买买提"
        )
        assert normalise_name("ＷＡＮＧ") == "WANG"  # full-width folded
        assert normalise_phone("+86 138-0000-1234") == normalise_phone("13800001234")

    def test_keys_come_from_files_and_the_command_makes_them_for_the_profile(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert fieldcrypt.main(["new-keys", "enrollment"]) == 0
        lines = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
        assert set(lines) == {"ENROLLMENT_FIELD_KEYS", "ENROLLMENT_BLIND_INDEX_KEY"}
        (tmp_path / "keys").write_text(lines["ENROLLMENT_FIELD_KEYS"] + "\n")
        (tmp_path / "index").write_text(lines["ENROLLMENT_BLIND_INDEX_KEY"] + "\n")
        ring = configure(f"@{tmp_path / 'keys'}", f"@{tmp_path / 'index'}")
        assert ring.current == "k1"
        assert len(ring.keys["k1"]) == 32
        assert fieldcrypt.decrypt(fieldcrypt.encrypt(ID, "t.c", ring), "t.c", ring) == ID
        with use_crypto_profile("guomi"):
            assert fieldcrypt.main(["new-key", "--id", "k2"]) == 0
            kid, key = capsys.readouterr().out.strip().split("=", 1)
            assert kid == "k2"
            assert len(base64.b64decode(key)) == 16

    def test_a_migration_reads_the_services_own_keys_or_the_dev_ones(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("PUPILS_FIELD_KEYS", raising=False)
        monkeypatch.delenv("PUPILS_BLIND_INDEX_KEY", raising=False)
        monkeypatch.setenv("JUNHENG_ENV", "prod")
        with pytest.raises(fieldcrypt.FieldKeysMissing, match="needs PUPILS_FIELD_KEYS and"):
            fieldcrypt.configure_from_env("PUPILS")
        monkeypatch.setenv("JUNHENG_ENV", "dev")
        dev = fieldcrypt.configure_from_env("PUPILS")
        assert dev.current == "dev"
        monkeypatch.setenv("PUPILS_FIELD_KEYS", f"k7={AES_1}")
        monkeypatch.setenv("PUPILS_BLIND_INDEX_KEY", INDEX_KEY)
        own = fieldcrypt.configure_from_env("PUPILS")
        assert own.current == "k7"
        assert own.index_key != dev.index_key
