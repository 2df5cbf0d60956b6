"""Command line of every service: `python -m <service> [serve|migrate|openapi|reencrypt]`."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from junheng_kit import fieldcrypt
from junheng_kit.app import configure_field_keys, dump_openapi
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.migrations import upgrade
from junheng_kit.runner import serve
from junheng_kit.settings import ServiceSettings, load_settings

Reencrypt = Callable[[async_sessionmaker[AsyncSession]], Awaitable[int]]


def service_main(
    settings_type: type[ServiceSettings],
    create_app: Callable[[ServiceSettings], FastAPI],
    service_dir: Path,
    argv: list[str] | None = None,
    encrypted: Sequence[tuple[Table, Mapping[str, str]]] = (),
    reencrypt_also: Mapping[str, Reencrypt] | None = None,
) -> None:
    """`encrypted`: the service's tables with columns stored encrypted (column → associated
    name), which `reencrypt` rewrites under the current key; `reencrypt_also`: other stored
    values it rewrites (a name → a function of a sessionmaker returning the count)."""
    parser = argparse.ArgumentParser(prog=service_dir.name)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the service (HTTP port + NATS bridge); the default")
    sub.add_parser("migrate", help="upgrade the database to the newest migration")
    sub.add_parser("openapi", help="print the service's OpenAPI document")
    if encrypted or reencrypt_also:
        sub.add_parser(
            "reencrypt",
            help="rewrite the fields encrypted at rest under the current key (after a rotation)",
        )
    args = parser.parse_args(argv)
    settings = load_settings(settings_type)
    if args.command == "migrate":
        upgrade(service_dir, settings.database_url)
    elif args.command == "reencrypt":
        asyncio.run(reencrypt(settings, encrypted, reencrypt_also or {}))
    elif args.command == "openapi":
        print(dump_openapi(create_app(settings)))
    else:
        serve(create_app(settings), settings)


async def reencrypt(
    settings: ServiceSettings,
    encrypted: Sequence[tuple[Table, Mapping[str, str]]],
    also: Mapping[str, Reencrypt] | None = None,
) -> dict[str, int]:
    """Every encrypted column of the service under the current key and algorithm, in batches
    (junheng_kit.fieldcrypt.reencrypt: interruptible, safe on any replica while it serves);
    prints and returns the rows rewritten per table."""
    configure_field_keys(settings)
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    done: dict[str, int] = {}
    try:
        for table, columns in encrypted:
            done[table.name] = await fieldcrypt.reencrypt(sessionmaker, table, dict(columns))
            print(f"{table.name}: {done[table.name]} rows rewritten")
        for name, rewrite in (also or {}).items():
            done[name] = await rewrite(sessionmaker)
            print(f"{name}: {done[name]} rows rewritten")
    finally:
        await engine.dispose()
    return done
