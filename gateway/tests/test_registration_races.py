"""Client registration racing itself (issue 17): twenty `register-client` runs for one client
id at once — each with its own engine, as twenty processes of the CLI are — on one database,
SQLite and PostgreSQL. One client is stored; every other run is refused with the check's
answer (`client_id_unique`), never an unmapped database error."""

import argparse
import asyncio

from pydantic import SecretStr
from sqlalchemy import func, select

from gateway.auth.models import Client
from gateway.cli import register_client
from gateway.settings import GatewaySettings
from junheng_kit.db import create_engine
from junheng_kit.problems import Conflict


async def test_one_client_id_registered_twenty_times_at_once_is_one_client(
    fresh_database_url: str,
) -> None:
    settings = GatewaySettings(
        environment="test",
        secret_key=SecretStr("test-secret"),
        pseudonym_key=SecretStr("test-pseudonym-key"),
        database_url=fresh_database_url,
    )
    args = argparse.Namespace(
        name="东胜区教育局",
        scopes="enrollment:read enrollment:write",
        jurisdiction="150602",
        client_id="dongsheng-bureau",
        secret="s3cret-value",
    )
    outcomes = await asyncio.gather(
        *(register_client(settings, args) for _ in range(20)), return_exceptions=True
    )
    registered = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if not isinstance(o, dict)]
    assert [r["client_id"] for r in registered] == ["dongsheng-bureau"]
    assert all(isinstance(r, Conflict) for r in refused), refused
    assert {(e.field, e.rule) for r in refused for e in r.errors} == {  # type: ignore[union-attr]
        ("client_id", "client_id_unique")
    }
    engine = create_engine(fresh_database_url)
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(Client)) == 1
    await engine.dispose()
