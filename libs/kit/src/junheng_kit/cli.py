"""Command line of every service: `python -m <service> [serve|migrate|openapi|reencrypt]`."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from junheng_kit import fieldcrypt_columns
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
    *,
    metadata: MetaData | None = None,
    reencrypt_also: Mapping[str, Reencrypt] | None = None,
) -> None:
    """`metadata`: the service's tables — given, `reencrypt` rewrites their encrypted columns and
    recomputes their blind indexes; `reencrypt_also`: other stored values it rewrites (a name →
    a function of a sessionmaker returning the count)."""
    parser = argparse.ArgumentParser(prog=service_dir.name)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the service (HTTP port + NATS bridge); the default")
    sub.add_parser("migrate", help="upgrade the database to the newest migration")
    sub.add_parser("openapi", help="print the service's OpenAPI document")
    if metadata is not None or reencrypt_also:
        sub.add_parser(
            "reencrypt",
            help="rewrite encrypted fields under the current field key and profile (a rotation)",
        )
    args = parser.parse_args(argv)
    settings = load_settings(settings_type)
    if args.command == "migrate":
        upgrade(service_dir, settings.database_url)
    elif args.command == "reencrypt":
        for where, rows in asyncio.run(reencrypt(settings, metadata, reencrypt_also)).items():
            print(f"{where}: {rows} rows rewritten")
    elif args.command == "openapi":
        print(dump_openapi(create_app(settings)))
    else:
        serve(create_app(settings), settings)


async def reencrypt(
    settings: ServiceSettings,
    metadata: MetaData | None,
    also: Mapping[str, Reencrypt] | None = None,
) -> dict[str, int]:
    """Every encrypted column of the service under the current key (and every blind index under
    the current profile's MAC), then the `also` values: batches of rows, each its own
    transaction — safe beside the running service, on any replica, interrupted and run again."""
    configure_field_keys(settings)
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        done = {}
        if metadata is not None:
            done = await fieldcrypt_columns.reencrypt_all(sessionmaker, metadata)
        for name, rewrite in (also or {}).items():
            done[name] = await rewrite(sessionmaker)
        return done
    finally:
        await engine.dispose()
