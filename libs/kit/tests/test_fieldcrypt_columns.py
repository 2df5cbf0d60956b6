"""junheng_kit.fieldcrypt_columns: a personal JSON document stored as one encrypted value, a
document whose personal leaves alone are encrypted, and a service-wide reencrypt on real SQLite
(the rows as stored read with text SQL)."""

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from junheng_kit import fieldcrypt
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.fieldcrypt import FieldUnreadable, normalise_phone
from junheng_kit.fieldcrypt_columns import (
    EncryptedJSON,
    JSONWithEncryptedFields,
    blind_index_of,
    reencrypt_all,
)

metadata = MetaData()
FAMILY = Table(
    "family",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("phone", fieldcrypt.Encrypted("test.family.phone")),
    Column(
        "phone_index",
        String(32),
        info=blind_index_of("phone", "test.family.phone", "phone", normalise_phone),
    ),
    Column("guardian", EncryptedJSON("test.family.guardian")),
    Column(
        "household",
        JSONWithEncryptedFields(
            "test.family.household", (("hukou", "address"), ("permit", "number"))
        ),
    ),
)
HOUSEHOLD = {"hukou": {"county_code": "150602", "address": "幸福路 1 号"}, "housing": "owned"}


@pytest.fixture
async def families(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    fieldcrypt.configure(*fieldcrypt.dev_field_keys())
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'f.sqlite3'}")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            insert(FAMILY),
            [
                {
                    "id": 1,
                    "phone": "13800000001",
                    "phone_index": fieldcrypt.blind_index("13800000001", "phone"),
                    "guardian": {"name": "王建国", "phone": "13800000001"},
                    "household": HOUSEHOLD,
                },
                {"id": 2, "phone": None, "phone_index": None, "guardian": None, "household": {}},
            ],
        )
    yield sessionmaker
    await engine.dispose()


async def raw(sessionmaker: async_sessionmaker[AsyncSession]) -> list[tuple[object, ...]]:
    async with sessionmaker() as session:
        rows = await session.execute(text("SELECT guardian, household FROM family ORDER BY id"))
        return [tuple(row) for row in rows]


async def test_documents_read_back_and_hold_no_plaintext(
    families: async_sessionmaker[AsyncSession],
) -> None:
    (guardian, household), empty = await raw(families)
    assert str(guardian).startswith("enc:1:aes256gcm:dev:")
    stored = json.loads(str(household))
    assert stored["hukou"]["county_code"] == "150602"  # the rest stays plain JSON
    assert stored["hukou"]["address"].startswith("enc:1:aes256gcm:dev:")
    assert "幸福路" not in str(household) + str(guardian)
    assert empty == (None, "{}")
    async with families() as session:
        rows = (await session.execute(select(FAMILY.c.guardian, FAMILY.c.household))).all()
    assert [tuple(r) for r in rows] == [
        ({"name": "王建国", "phone": "13800000001"}, HOUSEHOLD),
        (None, {}),
    ]


def test_a_leaf_opens_only_at_its_own_path() -> None:
    """Each leaf's associated data is `<column>.<path>`: a sealed address moved to the permit
    number does not open; missing paths and null leaves are left as they are."""
    fieldcrypt.configure(*fieldcrypt.dev_field_keys())
    kind = FAMILY.c.household.type
    assert isinstance(kind, JSONWithEncryptedFields)
    sealed = kind.rewritten({"hukou": {"address": "幸福路"}, "permit": None}, fieldcrypt.encrypt)
    assert sealed["permit"] is None
    moved = {"permit": {"number": sealed["hukou"]["address"]}}
    with pytest.raises(FieldUnreadable):
        kind.rewritten(moved, fieldcrypt.decrypt)


async def test_reencrypt_all_moves_every_value_to_the_new_key(
    families: async_sessionmaker[AsyncSession],
) -> None:
    old, index_key = fieldcrypt.dev_field_keys()
    fieldcrypt.configure(f"{fieldcrypt.new_key('k2')},{old}", index_key)
    assert await reencrypt_all(families, metadata) == {
        "family": 1,
        "family blind indexes": 0,
        "family.household": 1,
    }
    assert set((await reencrypt_all(families, metadata)).values()) == {0}
    (guardian, household), _ = await raw(families)
    assert str(guardian).startswith("enc:1:aes256gcm:k2:")
    assert json.loads(str(household))["hukou"]["address"].startswith("enc:1:aes256gcm:k2:")
    async with families() as session:
        found = await session.scalar(
            select(FAMILY.c.household).where(
                FAMILY.c.phone_index == fieldcrypt.blind_index("13800000001", "phone")
            )
        )
    assert found == HOUSEHOLD


def _name_and_birth(name: str, citizen_id: str) -> str:
    return f"{fieldcrypt.normalise_name(name)}\0{citizen_id[6:14]}"


people = MetaData()
PERSON = Table(
    "person",
    people,
    Column("id", Integer, primary_key=True),
    Column("citizen_id", fieldcrypt.Encrypted("test.person.citizen_id")),
    Column("name", fieldcrypt.Encrypted("test.person.name")),
    Column(
        "name_born_index",
        String(32),
        info=blind_index_of(
            "name",
            "test.person.name",
            "name_born",
            _name_and_birth,
            also=(("citizen_id", "test.person.citizen_id"),),
        ),
    ),
)


async def test_an_index_made_of_two_encrypted_columns_is_recomputed_from_both(
    tmp_path: Path,
) -> None:
    """`blind_index_of(..., also=...)`: the name's index with the birth date of the ID beside it;
    reindex decrypts both columns and passes them to the normaliser in order; a null in either
    is no index; a second run rewrites nothing."""
    fieldcrypt.configure(*fieldcrypt.dev_field_keys())
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.sqlite3'}")
    async with engine.begin() as connection:
        await connection.run_sync(people.create_all)
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        await session.execute(
            insert(PERSON),
            [
                {
                    "id": 1,
                    "citizen_id": "150602201503010029",
                    "name": "王 芳",
                    "name_born_index": "stale",
                },
                {"id": 2, "citizen_id": None, "name": "李强", "name_born_index": "stale"},
            ],
        )
    assert await reencrypt_all(sessions, people) == {"person": 0, "person blind indexes": 2}
    async with sessions() as session:
        indexes = await session.scalars(select(PERSON.c.name_born_index).order_by(PERSON.c.id))
        assert list(indexes) == [
            fieldcrypt.blind_index("王芳\x0020150301", "name_born"),
            None,
        ]
    assert await reencrypt_all(sessions, people) == {"person": 0, "person blind indexes": 0}
    await engine.dispose()
