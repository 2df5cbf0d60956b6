"""Command line of every service: `python -m <service> [serve|migrate|openapi]`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from junheng_kit.app import dump_openapi
from junheng_kit.migrations import upgrade
from junheng_kit.runner import serve
from junheng_kit.settings import ServiceSettings, load_settings


def service_main(
    settings_type: type[ServiceSettings],
    create_app: Callable[[ServiceSettings], FastAPI],
    service_dir: Path,
    argv: list[str] | None = None,
) -> None:
    parser = argparse.ArgumentParser(prog=service_dir.name)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the service (HTTP port + NATS bridge); the default")
    sub.add_parser("migrate", help="upgrade the database to the newest migration")
    sub.add_parser("openapi", help="print the service's OpenAPI document")
    args = parser.parse_args(argv)
    settings = load_settings(settings_type)
    if args.command == "migrate":
        upgrade(service_dir, settings.database_url)
    elif args.command == "openapi":
        print(dump_openapi(create_app(settings)))
    else:
        serve(create_app(settings), settings)
