"""Alembic glue: each service's `env.py` calls `run_migrations`; tools call `upgrade`."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from typing import Any, Literal

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection

import junheng_kit.audit.tables
import junheng_kit.tables  # noqa: F401  (the kit tables join every service's migrations)
from junheng_kit.db import KitBase, UtcDateTime, create_engine, is_sqlite


def alembic_config(service_dir: Path, url: str) -> Config:
    config = Config(str(service_dir / "alembic.ini"))
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(service_dir: Path, url: str, revision: str = "head") -> None:
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(service_dir, url), revision)


def target_metadata(service_metadata: MetaData) -> list[MetaData]:
    """The service's tables and the kit's (outbox, inbox, idempotency)."""
    return [service_metadata, KitBase.metadata]


def _render_item(kind: str, item: Any, autogen_context: Any) -> str | Literal[False]:
    """Kit column types render as the plain SQLAlchemy types they store as."""
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations(service_metadata: MetaData) -> None:
    """Body of every service's migrations/env.py (online, async engine, batch mode on SQLite)."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set (the service's DATABASE_URL)"
    metadata = target_metadata(service_metadata)

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,
            compare_type=True,
            render_item=_render_item,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
            await connection.commit()
        await engine.dispose()

    existing = context.config.attributes.get("connection")
    if existing is not None:
        do_run(existing)
    else:
        asyncio.run(run())


def service_dir(name: str) -> Path:
    """The directory of an installed service (or the gateway): where its alembic chain lives."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"{name} is not installed")
    return Path(spec.origin).resolve().parents[2]
