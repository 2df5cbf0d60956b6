"""The migration chain matches the models on both back ends (autogenerate finds nothing)."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

import gateway.models  # noqa: F401  (registers every table)
from gateway.db import Base
from junheng_kit.db import create_engine
from junheng_kit.migrations import target_metadata


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, target_metadata(Base.metadata)))  # type: ignore[arg-type]


async def test_autogenerate_against_head_is_empty(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
    finally:
        await engine.dispose()
