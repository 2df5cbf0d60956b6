"""`python -m gateway serve|migrate|register-client|change-client|remove-client|rotate-secret|
list-clients|openapi|asyncapi|trust-root|certify-key`."""

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn, Self, TypeVar

from pydantic import model_validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.audit import acts
from gateway.auth import keys, service
from gateway.auth.models import Client
from gateway.auth.repository import ClientRepository
from gateway.settings import GatewaySettings
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.integrity import problem_for_integrity_error
from junheng_kit.migrations import upgrade
from junheng_kit.problems import DomainError
from junheng_kit.settings import load_settings
from junheng_kit.signing import ensure_private_key, load_signer
from junheng_kit.trust import add_certificate, certify

GATEWAY_DIR = Path(__file__).resolve().parents[2]
CLIENT_COMMANDS = frozenset({"change-client", "remove-client", "rotate-secret"})
DATABASE_COMMANDS = frozenset({"migrate", "register-client", "list-clients", *CLIENT_COMMANDS})
T = TypeVar("T")


class OperatorSettings(GatewaySettings):
    """The settings of `migrate` and the client commands (`register-client`, `change-client`,
    `remove-client`, `rotate-secret`, `list-clients`), which an operator runs
    against the configured database (GATEWAY_DATABASE_URL, GATEWAY_SERVICES) in any environment:
    they sign nothing and connect to no NATS, so the serving process's secrets, NATS identity
    and trust root are not asked for (a client's secret is hashed with argon2, no key of ours)."""

    @model_validator(mode="after")
    def _refuse_dev_secrets(self) -> Self:  # replaces the serving check of the same name
        return self


async def register_client(settings: GatewaySettings, args: argparse.Namespace) -> dict[str, Any]:
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            try:
                registered = await service.register_client(
                    session,
                    name=args.name,
                    scopes=args.scopes.replace(",", " ").split(),
                    jurisdiction=args.jurisdiction.replace(",", " ").split(),
                    services=settings.services,
                    client_id=args.client_id,
                    secret=args.secret,
                    purpose=getattr(args, "purpose", None),
                    purpose_required=bool(getattr(args, "purpose_required", False)),
                )
                await acts.client_registered(session, registered.client_id, registered.jurisdiction)
                await session.commit()
            except IntegrityError as error:  # registered by a concurrent run after the check
                problem = problem_for_integrity_error(error)
                if problem is None:
                    raise
                raise problem from error
    finally:
        await engine.dispose()
    return {
        "client_id": registered.client_id,
        "client_secret": registered.client_secret,
        "scopes": registered.scopes,
        "jurisdiction": registered.jurisdiction,
    }


async def _in_transaction(
    settings: GatewaySettings, use_case: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """Run an operator's use-case and its audit act in one transaction: both or neither."""
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            result = await use_case(session)
            await session.commit()
    finally:
        await engine.dispose()
    return result


def _split(value: str | None) -> list[str] | None:
    return None if value is None else value.replace(",", " ").split()


def _listed(client: Client) -> dict[str, Any]:
    """A client as an operator sees it: never its secret or the secret's hash."""
    until = client.previous_secret_until
    return {
        "client_id": client.client_id,
        "name": client.name,
        "scopes": client.scopes,
        "jurisdiction": client.jurisdiction,
        "created_at": client.created_at.isoformat(),
        "disabled": client.disabled,
        "purpose": client.purpose,
        "purpose_required": client.purpose_required,
        "previous_secret_until": until.isoformat() if until is not None else None,
    }


async def change_client(settings: GatewaySettings, args: argparse.Namespace) -> dict[str, Any]:
    async def change(session: AsyncSession) -> dict[str, Any]:
        changed = await service.change_client(
            session,
            client_id=args.client_id,
            services=settings.services,
            scopes=_split(args.scopes),
            jurisdiction=_split(args.jurisdiction),
            purpose=args.purpose,
            clear_purpose=args.no_purpose,
            purpose_required=args.purpose_required,
        )
        if changed.fields:  # an act per change; a change to the same values is none
            await acts.client_changed(
                session, changed.client, changed.fields, changed.previous_jurisdiction
            )
        return {**_listed(changed.client), "changed": changed.fields}

    return await _in_transaction(settings, change)


async def remove_client(settings: GatewaySettings, args: argparse.Namespace) -> dict[str, Any]:
    async def remove(session: AsyncSession) -> dict[str, Any]:
        client = await service.remove_client(session, client_id=args.client_id)
        await acts.client_removed(session, client)
        return _listed(client)

    return await _in_transaction(settings, remove)


async def rotate_secret(settings: GatewaySettings, args: argparse.Namespace) -> dict[str, Any]:
    async def rotate(session: AsyncSession) -> dict[str, Any]:
        rotated = await service.rotate_secret(
            session, client_id=args.client_id, grace_seconds=args.grace_seconds
        )
        await acts.secret_rotated(session, rotated.client, args.grace_seconds)
        until = rotated.previous_secret_until
        return {
            "client_id": rotated.client.client_id,
            "client_secret": rotated.client_secret,
            "scopes": rotated.client.scopes,
            "jurisdiction": rotated.client.jurisdiction,
            "previous_secret_until": until.isoformat() if until is not None else None,
        }

    return await _in_transaction(settings, rotate)


async def list_clients(settings: GatewaySettings) -> list[dict[str, Any]]:
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            clients = await ClientRepository(session).all()
    finally:
        await engine.dispose()
    return [_listed(c) for c in clients]


def _client_parsers(sub: Any) -> None:
    """`change-client`, `remove-client`, `rotate-secret` (docs/runbook.md)."""
    change = sub.add_parser(
        "change-client",
        help="change a client's scopes, jurisdiction or purpose policy (checked as at "
        "registration; tokens already issued keep theirs until they expire)",
    )
    change.add_argument("client_id", metavar="CLIENT_ID")
    change.add_argument("--scopes", default=None, help="the new scopes (all of them)")
    change.add_argument("--jurisdiction", default=None, help="the new GB/T 2260 prefixes")
    purpose = change.add_mutually_exclusive_group()
    purpose.add_argument("--purpose", default=None, help="the new registered purpose")
    purpose.add_argument("--no-purpose", action="store_true", help="clear the registered purpose")
    _purpose_required_flag(change, default=None)
    remove = sub.add_parser(
        "remove-client",
        help="remove a client: it obtains no more tokens (those issued live until they expire)",
    )
    remove.add_argument("client_id", metavar="CLIENT_ID")
    rotate = sub.add_parser(
        "rotate-secret", help="give a client a new secret (printed once; stored hashed)"
    )
    rotate.add_argument("client_id", metavar="CLIENT_ID")
    rotate.add_argument(
        "--grace-seconds",
        type=int,
        default=0,
        help="how long the previous secret still works (0, the default: not at all; at most "
        "604800, a week)",
    )
    rotate.add_argument(
        "--json-out", type=Path, default=None, help="also write the credentials here (mode 600)"
    )


def _purpose_required_flag(parser: argparse.ArgumentParser, *, default: bool | None) -> None:
    parser.add_argument(
        "--purpose-required",
        action=argparse.BooleanOptionalAction,
        default=default,
        help="every audited call of the client must declare X-Purpose (403 without it), "
        "its registered purpose notwithstanding",
    )


def _refused(parser: argparse.ArgumentParser, command: str, error: DomainError) -> NoReturn:
    parser.exit(
        2, f"{command}: {error.detail} {[(e.field, e.rule, e.message) for e in error.errors]}\n"
    )


def _write_credentials(path: Path | None, text: str) -> None:
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
        path.chmod(0o600)


def _run_client_command(
    parser: argparse.ArgumentParser, settings: GatewaySettings, args: argparse.Namespace
) -> None:
    commands = {
        "change-client": change_client,
        "remove-client": remove_client,
        "rotate-secret": rotate_secret,
    }
    asked = ("scopes", "jurisdiction", "purpose", "purpose_required")
    if (
        args.command == "change-client"
        and not args.no_purpose
        and all(getattr(args, name) is None for name in asked)
    ):
        parser.exit(2, "change-client: nothing to change (see --help)\n")
    try:
        answer = asyncio.run(commands[args.command](settings, args))
    except DomainError as error:
        _refused(parser, args.command, error)
    text = json.dumps(answer, ensure_ascii=False, indent=2)
    if args.command == "rotate-secret":
        _write_credentials(args.json_out, text)
    print(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gateway")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the gateway (the default)")
    sub.add_parser("migrate", help="upgrade the gateway database to the newest migration")
    register = sub.add_parser("register-client", help="register an API client")
    register.add_argument("--name", required=True)
    register.add_argument("--scopes", required=True, help='"enrollment:read staffing:read"')
    register.add_argument(
        "--jurisdiction",
        required=True,
        help="GB/T 2260 code prefixes, space or comma separated: 150602",
    )
    register.add_argument("--client-id", default=None)
    register.add_argument("--secret", default=None, help="default: generated")
    register.add_argument(
        "--purpose",
        default=None,
        help="why the client reads personal data (its tokens' `purpose` claim; a call's "
        "X-Purpose overrides it)",
    )
    _purpose_required_flag(register, default=False)
    register.add_argument(
        "--json-out",
        type=Path,
        default=None,
        help="also write the credentials to this file (mode 600)",
    )
    _client_parsers(sub)
    sub.add_parser("list-clients", help="list registered clients (never their secrets)")
    sub.add_parser("openapi", help="print the gateway's own OpenAPI (without the services)")
    sub.add_parser("asyncapi", help="print the events' AsyncAPI 3.0 document (/asyncapi.json)")
    root = sub.add_parser(
        "trust-root",
        help="make the offline root key that certifies signing keys (kept when present); "
        "prints its public key for JUNHENG_TRUST_ROOT_KEYS",
    )
    root.add_argument("--out", type=Path, required=True, help="the root's private key (0600)")
    certify_cmd = sub.add_parser(
        "certify-key",
        help="certify a signing key with the root (for GATEWAY_KEY_CERTIFICATES_FILE)",
    )
    certify_cmd.add_argument("--root-key", type=Path, required=True)
    certify_cmd.add_argument(
        "--key", type=Path, required=True, help="the signing key (private or public PEM)"
    )
    certify_cmd.add_argument("--days", type=float, default=400.0)
    certify_cmd.add_argument(
        "--out", type=Path, required=True, help="certificates file (the key's entry replaced)"
    )
    args = parser.parse_args(argv)
    if args.command == "trust-root":  # on the operator's machine: no gateway settings needed
        signer = ensure_private_key(args.out)
        print(signer.public_key_text)
        return 0
    if args.command == "asyncapi":  # the contracts alone: no settings needed
        from gateway.openapi.asyncapi import document
        from gateway.webhooks.catalogue import EVENTS

        print(json.dumps(document(EVENTS), ensure_ascii=False, indent=2))
        return 0
    if args.command == "certify-key":
        jwk = keys.public_jwk(args.key)
        certificate = certify(load_signer(args.root_key), jwk, days=args.days)
        add_certificate(args.out, certificate)
        print(json.dumps(certificate, indent=2))
        return 0
    settings = load_settings(
        OperatorSettings if args.command in DATABASE_COMMANDS else GatewaySettings
    )
    if args.command == "migrate":
        upgrade(GATEWAY_DIR, settings.database_url)
    elif args.command == "register-client":
        try:
            credentials = asyncio.run(register_client(settings, args))
        except DomainError as error:
            _refused(parser, "register-client", error)
        text = json.dumps(credentials, ensure_ascii=False, indent=2)
        _write_credentials(args.json_out, text)
        print(text)
    elif args.command in CLIENT_COMMANDS:
        _run_client_command(parser, settings, args)
    elif args.command == "list-clients":
        print(json.dumps(asyncio.run(list_clients(settings)), ensure_ascii=False, indent=2))
    elif args.command == "openapi":
        from gateway.app import create_app

        print(json.dumps(create_app(settings).openapi(), ensure_ascii=False, indent=2))
    else:
        from gateway.app import create_app
        from junheng_kit.runner import serve

        # the peer is the source address of POST /oauth/token's throttle; X-Forwarded-For only
        # from GATEWAY_TRUSTED_PROXIES, never uvicorn's default trust of 127.0.0.1
        serve(create_app(settings), settings, proxy_headers=False)
    return 0
