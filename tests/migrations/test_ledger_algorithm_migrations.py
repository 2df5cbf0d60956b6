"""a0014 / e0018 (issue 20 item 5): each lookup ledger entry names its hash algorithm. Entries
stored before are SHA-256: after the upgrade they say so, keep their hashes, and the chain
verifies; new entries under 国密 (SM3) chain after them; the downgrade keeps the rows. On SQLite
and PostgreSQL."""

import asyncio
import importlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import insert, inspect, select, update

from junheng_kit.agency import ledger_rules
from junheng_kit.agency.ledger import HEAD_ID, Ledger, LedgerRecord
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.migrations import alembic_config, upgrade
from junheng_kit.migrations import service_dir as installed_service_dir
from junheng_kit.testing.plugin import Databases, use_crypto_profile

LEDGERS = {  # service: (revision before, module, ledger)
    "assistance": ("a0013", "assistance.ledger.models", "LEDGER"),
    "enrollment": ("e0017", "enrollment.facts.models", "LEDGER"),
}


def old_entries() -> list[dict[str, Any]]:
    """Two entries as the ledger appended them before a0014 / e0018: SHA-256, no algorithm."""
    rows, previous = [], ledger_rules.GENESIS_HASH
    for seq in (1, 2):
        row: dict[str, Any] = {
            "seq": seq,
            "kind": "lookup",
            "actor": "school-150602",
            "student_key": f"{seq:032x}",
            "county_code": "150602",
            "agency": "hukou",
            "purpose": "资格审核",
            "legal_basis": None,
            "consent_ref": f"同意-{seq}",
            "request_id": f"req-{seq}",
            "answer_id": None,
            "outcome": "matched",
            "detail": None,
            "recorded_at": datetime(2026, 9, 1, 8, 30, seq, 5, tzinfo=UTC),
            "prev_hash": previous,
        }
        row["entry_hash"] = previous = ledger_rules.entry_hash(previous, row)
        rows.append(row)
    return rows


async def seed(url: str, ledger: Ledger[Any, Any], rows: list[dict[str, Any]]) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(insert(ledger.entry.__table__), rows)  # algorithm omitted
        await connection.execute(
            update(ledger.head.__table__)
            .where(ledger.head.__table__.c.id == HEAD_ID)
            .values(seq=rows[-1]["seq"], head_hash=rows[-1]["entry_hash"])
        )
    await engine.dispose()


async def read_back(url: str, ledger: Ledger[Any, Any]) -> tuple[list[tuple[Any, ...]], Any]:
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session:
        with use_crypto_profile("guomi"):
            await ledger.append(
                session,
                LedgerRecord(
                    kind="lookup",
                    actor="school-150602",
                    county_code="150602",
                    agency="hukou",
                    purpose="资格审核",
                    request_id="req-3",
                    outcome="matched",
                ),
            )
        await session.commit()
        stored = (
            await session.execute(
                select(ledger.entry.seq, ledger.entry.algorithm, ledger.entry.entry_hash).order_by(
                    ledger.entry.seq
                )
            )
        ).all()
        status = await ledger.verify(session)
    await engine.dispose()
    return [tuple(row) for row in stored], status


@pytest.mark.parametrize("name", sorted(LEDGERS))
def test_entries_stored_before_are_sha256_keep_their_hashes_and_chain_on(
    name: str, databases: Databases, backend: str
) -> None:
    before, module, attribute = LEDGERS[name]
    ledger: Ledger[Any, Any] = getattr(importlib.import_module(module), attribute)
    directory = Path(installed_service_dir(name))
    url = databases.fresh(directory, backend)
    config = alembic_config(directory, url)
    command.downgrade(config, before)
    rows = old_entries()
    asyncio.run(seed(url, ledger, rows))
    upgrade(directory, url)
    stored, status = asyncio.run(read_back(url, ledger))
    assert stored[:2] == [
        (1, "sha256", rows[0]["entry_hash"]),
        (2, "sha256", rows[1]["entry_hash"]),
    ]
    assert (stored[2][0], stored[2][1]) == (3, "sm3")
    assert (status.entries, status.head_hash, status.algorithm) == (3, stored[2][2], "sm3")
    command.downgrade(config, before)  # the column goes, the rows stay
    assert asyncio.run(seqs_without_algorithm(url, ledger)) == [1, 2, 3]


async def seqs_without_algorithm(url: str, ledger: Ledger[Any, Any]) -> list[int]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        table = ledger.entry.__table__
        columns = await connection.run_sync(
            lambda sync: [c["name"] for c in inspect(sync).get_columns(table.name)]
        )
        assert "algorithm" not in columns
        seqs = (await connection.execute(select(table.c.seq).order_by(table.c.seq))).scalars()
        found = list(seqs)
    await engine.dispose()
    return found
