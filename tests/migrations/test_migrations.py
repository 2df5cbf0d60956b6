"""Each service's Alembic chain builds exactly the schema its models declare, on both back ends."""

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData

from junheng_kit.db import create_engine
from junheng_kit.migrations import service_dir as installed_service_dir
from junheng_kit.migrations import target_metadata
from junheng_kit.testing.plugin import Databases


def service_metadata(name: str) -> MetaData:
    import importlib

    importlib.import_module(f"{name}.models")
    metadata: MetaData = importlib.import_module(f"{name}.db").Base.metadata
    return metadata


@pytest.mark.parametrize("name", ["enrollment", "staffing", "assistance", "evaluation"])
def test_autogenerate_against_head_finds_nothing(
    name: str, databases: Databases, backend: str
) -> None:
    url = databases.fresh(installed_service_dir(name), backend)
    engine = create_engine(url)
    metadata = target_metadata(service_metadata(name))

    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(
            connection,  # type: ignore[arg-type]
            opts={"compare_type": True},
        )
        return list(compare_metadata(context, metadata))  # type: ignore[arg-type]

    async def compare() -> list[object]:
        async with engine.connect() as connection:
            found = await connection.run_sync(diff)
        await engine.dispose()
        return found

    assert asyncio.run(compare()) == []


def test_each_service_has_one_linear_chain() -> None:
    from alembic.script import ScriptDirectory

    from junheng_kit.migrations import alembic_config

    for name in ("enrollment", "staffing", "assistance", "evaluation", "gateway"):
        directory = installed_service_dir(name)
        script = ScriptDirectory.from_config(alembic_config(Path(directory), "sqlite://"))
        assert len(script.get_heads()) == 1, name
