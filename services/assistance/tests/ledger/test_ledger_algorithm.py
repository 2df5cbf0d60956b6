"""The lookup ledger's verify endpoint names the hash of its chain (issue 20 item 5): entries
appended under the 国密 profile are chained with SM3, earlier SHA-256 entries stay as they were,
and the chain verifies across the change, on SQLite and PostgreSQL."""

from httpx import AsyncClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.ledger import service
from assistance.ledger.models import LedgerEntry
from junheng_kit.agency.ledger import LedgerRecord
from junheng_kit.testing.plugin import use_crypto_profile


def lookup(n: int) -> LedgerRecord:
    return LedgerRecord(
        kind="lookup",
        actor="school-150602",
        county_code="150602",
        agency="mca",
        purpose="资助资格认定",
        request_id=f"req-{n}",
        outcome="matched",
        student_key=f"{n:032x}",
        legal_basis="《学生资助资金管理办法》",
    )


async def test_an_empty_ledger_names_no_algorithm(
    client: AsyncClient, reader: dict[str, str]
) -> None:
    response = await client.get("/v1/ledger/verify", headers=reader)
    assert response.json() == {
        "intact": True,
        "entries": 0,
        "head_hash": "0" * 64,
        "algorithm": None,
    }


async def test_entries_after_the_switch_to_guomi_are_sm3_and_the_chain_verifies(
    client: AsyncClient, session: AsyncSession, reader: dict[str, str]
) -> None:
    with use_crypto_profile("international"):
        await service.append(session, lookup(1))
    with use_crypto_profile("guomi"):
        await service.append(session, lookup(2))
        await service.append_many(session, [lookup(3), lookup(4)])
    await session.commit()
    stored = (
        await session.execute(select(LedgerEntry.seq, LedgerEntry.algorithm).order_by("seq"))
    ).all()
    assert [tuple(row) for row in stored] == [(1, "sha256"), (2, "sm3"), (3, "sm3"), (4, "sm3")]
    response = await client.get("/v1/ledger/verify", headers=reader)
    body = response.json()
    assert (body["intact"], body["entries"], body["algorithm"]) == (True, 4, "sm3")


async def test_an_sm3_entry_relabelled_sha256_is_named_by_verify(
    client: AsyncClient, session: AsyncSession, reader: dict[str, str]
) -> None:
    with use_crypto_profile("guomi"):
        await service.append_many(session, [lookup(1), lookup(2)])
    await session.execute(text("UPDATE ledger_entry SET algorithm = 'sha256' WHERE seq = 2"))
    await session.commit()
    response = await client.get("/v1/ledger/verify", headers=reader)
    assert response.status_code == 409
    assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
        ("entries[2].entry_hash", "hash_chain")
    ]
