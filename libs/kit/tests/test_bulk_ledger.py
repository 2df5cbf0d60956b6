"""Set-based writes of the agency ledger and of column-wise upserts, on SQLite and PostgreSQL:
a bulk append chains exactly as one-by-one appends do (the chain verifies across both, and
across the 5,000-row executemany chunks), `replace_on` replaces a row whose key exists, and each
entry is chained with the profile's hash (SHA-256, or SM3 under 国密) and names it."""

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase

from junheng_kit.agency import ledger_rules
from junheng_kit.agency.ledger import (
    ChainBroken,
    Ledger,
    LedgerEntryColumns,
    LedgerHeadColumns,
    LedgerRecord,
)
from junheng_kit.bulk_insert import insert_columns
from junheng_kit.crypto_profile import hash_named
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.signing import canonical_json
from junheng_kit.testing.plugin import use_crypto_profile


class Base(DeclarativeBase):
    pass


class Entry(Base, LedgerEntryColumns):
    __tablename__ = "test_ledger_entry"


class Head(Base, LedgerHeadColumns):
    __tablename__ = "test_ledger_head"


LEDGER = Ledger(Entry, Head)
NOTES = Table(
    "test_note",
    MetaData(),
    Column("owner", String(10), primary_key=True),
    Column("topic", String(10), primary_key=True),
    Column("text", String(50)),
    Column("n", Integer),
)


@pytest.fixture
async def engine(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(fresh_database_url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
        await connection.run_sync(NOTES.metadata.create_all)
        await connection.execute(
            Head.__table__.insert().values(id=1, seq=0, head_hash=ledger_rules.GENESIS_HASH)
        )
    yield engine
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(NOTES.metadata.drop_all)
    await engine.dispose()


def record(n: int) -> LedgerRecord:
    return LedgerRecord(
        kind="lookup",
        actor="recheck:任务",
        county_code="150602",
        agency=("hukou", "permit", "estate", "social")[n % 4],
        purpose="入学资格复核",
        legal_basis="《义务教育法》第十二条" if n % 3 else None,
        consent_ref=None if n % 3 else f"同意-{n}",
        request_id=f"req-{n}",
        outcome=("matched", "not_matched", "refused")[n % 3],
        student_key=f"{n:032x}",
        answer_id=f"a-{n}" if n % 3 != 2 else None,
        detail='说明 "引号" \\ 与换行\n' if n % 7 == 0 else None,
    )


async def test_a_bulk_append_chains_as_one_by_one_appends_do(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        first = await LEDGER.append(session, record(0))
        seqs = await LEDGER.append_many(session, [record(n) for n in range(1, 7002)])
        last = await LEDGER.append(session, record(7002))
        await session.commit()
    assert (first.seq, seqs[0], seqs[-1], last.seq) == (1, 2, 7002, 7003)
    assert seqs == list(range(2, 7003))
    async with sessions() as session:
        status = await LEDGER.verify(session)  # every link recomputed by the one-entry rule
        assert status.entries == 7003
        row = (await session.execute(select(Entry).where(Entry.seq == 22))).scalar_one()
        expected = record(21)
        assert (row.request_id, row.detail, row.consent_ref, row.legal_basis) == (
            "req-21",
            expected.detail,
            "同意-21",
            None,
        )
        assert ledger_rules.entry_hash(row.prev_hash, row.__dict__) == row.entry_hash


def test_the_tight_chain_loop_hashes_as_entry_hash() -> None:
    at = datetime(2025, 9, 1, 8, 30, 1, 5, tzinfo=UTC)
    entries = [
        {name: f"v{n}-{name}" for name in ledger_rules.HASHED_FIELDS} | {"seq": n}
        for n in range(1, 4)
    ]
    for entry in entries:
        entry["recorded_at"] = at
    expected, previous = [], ledger_rules.GENESIS_HASH
    for entry in entries:
        previous = ledger_rules.entry_hash(previous, entry)
        expected.append(previous)
    stamped = [entry | {"recorded_at": ledger_rules.recorded_at_text(at)} for entry in entries]
    assert ledger_rules.chain(ledger_rules.GENESIS_HASH, stamped) == expected


async def test_replace_on_upserts_rows_whose_key_exists(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await insert_columns(
            connection,
            NOTES,
            {
                "owner": ["a", "a", "b"],
                "topic": ["x", "y", "x"],
                "text": ["1", "2", "3"],
                "n": [1, 2, 3],
            },
        )
        count = await insert_columns(
            connection,
            NOTES,
            {"owner": ["a", "c"], "topic": ["y", "x"], "text": ["新", "4"], "n": [20, 4]},
            replace_on=("owner", "topic"),
        )
        assert count == 2
        rows = (
            await connection.execute(select(NOTES).order_by(NOTES.c.owner, NOTES.c.topic))
        ).all()
    assert [tuple(r) for r in rows] == [
        ("a", "x", "1", 1),
        ("a", "y", "新", 20),
        ("b", "x", "3", 3),
        ("c", "x", "4", 4),
    ]
    with pytest.raises(ValueError, match="replace_on"):
        async with engine.begin() as connection:
            await insert_columns(connection, NOTES, {"owner": ["a"]}, replace_on=("topic",))


class TestHashAlgorithm:
    """Issue 20 item 5: under 国密 the ledger chains with SM3 and each entry says so; under the
    international profile the entries and their bytes are as before."""

    async def test_entries_are_chained_with_the_profiles_hash_and_name_it(
        self, engine: AsyncEngine, crypto_profile: str
    ) -> None:
        expected = {"international": "sha256", "guomi": "sm3"}[crypto_profile]
        sessions = create_sessionmaker(engine)
        async with sessions() as session:
            await LEDGER.append(session, record(0))
            await LEDGER.append_many(session, [record(n) for n in range(1, 4)])
            await session.commit()
        async with sessions() as session:
            rows = (await session.scalars(select(Entry).order_by(Entry.seq))).all()
            status = await LEDGER.verify(session)
        assert [row.algorithm for row in rows] == [expected] * 4
        for row in rows:
            data = row.prev_hash.encode() + canonical_json(
                ledger_rules.canonical_fields(row.__dict__)
            )
            assert hash_named(expected, data).hex() == row.entry_hash
        assert (status.entries, status.head_hash, status.algorithm) == (
            4,
            rows[-1].entry_hash,
            expected,
        )

    async def test_an_international_entry_hashes_as_before_the_algorithm_column(
        self, engine: AsyncEngine
    ) -> None:
        sessions = create_sessionmaker(engine)
        with use_crypto_profile("international"):
            async with sessions() as session:
                entry = await LEDGER.append(session, record(1))
                await session.commit()
        fields = ledger_rules.canonical_fields(entry.__dict__)
        assert "algorithm" not in fields  # not hashed: existing SHA-256 entries keep their bytes
        digest = hashlib.sha256(ledger_rules.GENESIS_HASH.encode() + canonical_json(fields))
        assert (entry.algorithm, entry.entry_hash) == ("sha256", digest.hexdigest())

    async def test_a_chain_that_changed_profile_midway_verifies(self, engine: AsyncEngine) -> None:
        sessions = create_sessionmaker(engine)
        for name, first, last in (
            ("international", 0, 3),
            ("guomi", 3, 6),
            ("international", 6, 7),
        ):
            with use_crypto_profile(name):
                async with sessions() as session:
                    await LEDGER.append(session, record(first))
                    await LEDGER.append_many(session, [record(n) for n in range(first + 1, last)])
                    await session.commit()
        async with sessions() as session:
            status = await LEDGER.verify(session)
            algorithms = (await session.scalars(select(Entry.algorithm).order_by(Entry.seq))).all()
        assert algorithms == ["sha256"] * 3 + ["sm3"] * 3 + ["sha256"]
        assert (status.entries, status.algorithm) == (7, "sha256")

    async def test_an_sm3_entry_relabelled_sha256_breaks_the_chain_there(
        self, engine: AsyncEngine
    ) -> None:
        sessions = create_sessionmaker(engine)
        with use_crypto_profile("guomi"):
            async with sessions() as session:
                await LEDGER.append_many(session, [record(n) for n in range(3)])
                await session.commit()
        async with engine.begin() as connection:
            await connection.execute(
                Entry.__table__.update().where(Entry.seq == 2).values(algorithm="sha256")
            )
        async with sessions() as session:
            with pytest.raises(ChainBroken) as broken:
                await LEDGER.verify(session)
        assert [(e.field, e.rule) for e in broken.value.errors] == [
            ("entries[2].entry_hash", "hash_chain")
        ]


def test_the_tight_chain_loop_hashes_as_entry_hash_with_sm3() -> None:
    at = ledger_rules.recorded_at_text(datetime(2025, 9, 1, 8, 30, 1, 5, tzinfo=UTC))
    entries = [
        {name: f"v{n}-{name}" for name in ledger_rules.HASHED_FIELDS}
        | {"seq": n, "recorded_at": at}
        for n in range(1, 4)
    ]
    expected, previous = [], ledger_rules.GENESIS_HASH
    for entry in entries:
        previous = ledger_rules.entry_hash(previous, entry, algorithm="sm3")
        expected.append(previous)
    assert ledger_rules.chain(ledger_rules.GENESIS_HASH, entries, algorithm="sm3") == expected
    assert ledger_rules.chain(ledger_rules.GENESIS_HASH, entries) != expected
