"""The facts ledger's verify endpoint names the hash of its chain (issue 20 item 5): under the
国密 profile new entries are chained with SM3, and a chain begun under SHA-256 still verifies,
on SQLite and PostgreSQL."""

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.facts.models import LEDGER, FactLedgerEntry
from junheng_kit.agency.ledger import LedgerRecord
from junheng_kit.testing.plugin import use_crypto_profile


def lookup(n: int) -> LedgerRecord:
    return LedgerRecord(
        kind="lookup",
        actor="recheck",
        county_code="150602",
        agency="hukou",
        purpose="2025年义务教育招生入学资格审核",
        request_id=f"req-{n}",
        outcome="matched",
        student_key=f"{n:032x}",
    )


async def test_the_chain_names_sm3_after_the_switch_and_verifies_across_it(
    client: AsyncClient, session: AsyncSession, reader: dict[str, str]
) -> None:
    with use_crypto_profile("international"):
        await LEDGER.append_many(session, [lookup(1), lookup(2)])
    await session.commit()
    before = (await client.get("/v1/facts/ledger/verify", headers=reader)).json()
    with use_crypto_profile("guomi"):
        await LEDGER.append(session, lookup(3))
    await session.commit()
    after = (await client.get("/v1/facts/ledger/verify", headers=reader)).json()
    algorithms = (
        await session.scalars(select(FactLedgerEntry.algorithm).order_by(FactLedgerEntry.seq))
    ).all()
    assert algorithms == ["sha256", "sha256", "sm3"]
    assert (before["entries"], before["algorithm"]) == (2, "sha256")
    assert (after["intact"], after["entries"], after["algorithm"]) == (True, 3, "sm3")
