"""`python -m gateway serve|migrate|register-client|list-clients|openapi|asyncapi|trust-root|
certify-key`."""

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any, Self

from pydantic import model_validator
from sqlalchemy.exc import IntegrityError

from gateway.audit import acts
from gateway.auth import keys, service
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
DATABASE_COMMANDS = frozenset({"migrate", "register-client", "list-clients"})


class OperatorSettings(GatewaySettings):
    """The settings of `migrate`, `register-client` and `list-clients`, which an operator runs
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


async def _list(settings: GatewaySettings) -> list[dict[str, Any]]:
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            clients = await ClientRepository(session).all()
    finally:
        await engine.dispose()
    return [
        {
            "client_id": c.client_id,
            "name": c.name,
            "scopes": c.scopes,
            "jurisdiction": c.jurisdiction,
            "created_at": c.created_at.isoformat(),
            "disabled": c.disabled,
        }
        for c in clients
    ]


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
    register.add_argument(
        "--json-out",
        type=Path,
        default=None,
        help="also write the credentials to this file (mode 600)",
    )
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
            parser.exit(
                2,
                f"register-client: {error.detail} "
                f"{[(e.field, e.rule, e.message) for e in error.errors]}\n",
            )
        text = json.dumps(credentials, ensure_ascii=False, indent=2)
        if args.json_out:
            args.json_out.parent.mkdir(parents=True, exist_ok=True)
            args.json_out.write_text(text + "\n")
            args.json_out.chmod(0o600)
        print(text)
    elif args.command == "list-clients":
        print(json.dumps(asyncio.run(_list(settings)), ensure_ascii=False, indent=2))
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
