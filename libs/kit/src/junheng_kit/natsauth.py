"""NATS identities, subject permissions and TLS material for every Junheng process.

Each process connects with its own **nkey** (an Ed25519 key pair: the server holds only the
public key, the process signs the server's nonce with its seed) and may publish and subscribe
only what its role needs (design.md §7):

- a service publishes its own events (`<service>.>`), its dead letters (`dlq.<service>.>`) and
  replies to the gateway's requests (`allow_responses`); it subscribes to its `rpc.<service>.http`
  subject and its own inbox prefix; on JetStream it manages its own stream and its reply bucket,
  reads the signing keys and the request bodies, and pulls and acks its own durables only;
- the gateway publishes `rpc.<service>.http`, writes the signing-key bucket, the body store and
  the rate-limit bucket, reads (and removes) the services' large replies, and creates, pulls
  and acks its `gateway-webhooks` durable on each producer's stream (webhook deliveries);
- the operator identity (the dead-letter and durable tools) may do everything: it is a root
  credential, never given to a service.

nkeys rather than NATS JWT accounts: the permissions live in one server configuration file
that this module writes (`auth.conf`, included by every node), rotation is "add the new key,
reload, switch the process, remove the old key, reload" with no operator/account/resolver
machinery to run, and nats-py and nats-server support it natively. Accounts would add
multi-tenancy that Junheng does not need (one deployment is one bureau's trust domain).

`python -m junheng_kit.natsauth init --dir DIR` writes a seed per identity (0600, kept when
present) and the server's `auth.conf`; `python -m junheng_kit.natsauth tls --dir DIR --host …`
writes a CA and a certificate for the NATS nodes (client and route connections).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import ipaddress
import json
import os
import ssl
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from junheng_contracts import STREAMS

SERVICES = ("enrollment", "staffing", "assistance", "evaluation")
GATEWAY = "gateway"
OPERATOR = "operator"
ROLES = (*SERVICES, GATEWAY, OPERATOR)

KEYS_BUCKET = "junheng-keys"  # the gateway's public signing keys (junheng_kit.auth)
BODIES_BUCKET = "junheng-bodies"  # large request bodies, gateway → service
RATE_LIMIT_BUCKET = "junheng-ratelimits"  # the gateway replicas' shared counters
DLQ_STREAM = "DLQ"
# the durable the gateway replicas share on every producer's stream: events → webhook deliveries
WEBHOOK_DURABLE = "gateway-webhooks"
SEED_SUFFIX = ".nk"
AUTH_CONF = "auth.conf"


def replies_bucket(service: str) -> str:
    """The object store a service writes its large replies to (only it writes there)."""
    return f"junheng-replies-{service}"


def inbox_prefix(role: str) -> str:
    """Each identity's own reply inboxes: nobody else may subscribe to them."""
    return f"_INBOX_{role}"


def kv_stream(bucket: str) -> str:
    return f"KV_{bucket}"


def object_stream(bucket: str) -> str:
    return f"OBJ_{bucket}"


@dataclass(frozen=True, slots=True)
class Durable:
    """A durable pull consumer a service reads: `stream` (e.g. ENROLLMENT), `name`."""

    stream: str
    name: str


def _stream_of(service: str) -> str:
    for stream, subject in STREAMS.items():
        if subject == f"{service}.>":
            return stream
    raise ValueError(f"{service} produces no stream")


def _api(*parts: str) -> str:
    return "$JS.API." + ".".join(parts)


def _stream_admin(stream: str, *, update: bool = True) -> list[str]:
    subjects = [_api("STREAM.INFO", stream), _api("STREAM.CREATE", stream)]
    if update:
        subjects.append(_api("STREAM.UPDATE", stream))
    return subjects


def _reads(stream: str) -> list[str]:
    """Reading single messages of a stream (KV get, object metadata)."""
    return [
        _api("STREAM.INFO", stream),
        _api("STREAM.MSG.GET", stream),
        _api("DIRECT.GET", stream),
        _api("DIRECT.GET", stream) + ".>",
    ]


def _ephemeral_readers(stream: str) -> list[str]:
    """Ordered (ephemeral) consumers: reading an object's chunks, watching a KV bucket (the
    client looks the stream up by subject first: STREAM.NAMES lists names, nothing more)."""
    return [
        _api("STREAM.NAMES"),
        _api("CONSUMER.CREATE", stream),
        _api("CONSUMER.CREATE", stream) + ".>",
        _api("CONSUMER.DELETE", stream) + ".>",
        _api("CONSUMER.INFO", stream) + ".>",
        f"$JS.FC.{stream}.>",
    ]


def _durable(durable: Durable) -> list[str]:
    stream, name = durable.stream, durable.name
    return [
        _api("CONSUMER.CREATE", stream, name),
        _api("CONSUMER.CREATE", stream, name) + ".>",
        _api("CONSUMER.DURABLE.CREATE", stream, name),
        _api("CONSUMER.INFO", stream, name),
        _api("CONSUMER.MSG.NEXT", stream, name),
        f"$JS.ACK.{stream}.{name}.>",
    ]


def service_permissions(service: str, durables: Iterable[Durable]) -> dict[str, Any]:
    own = _stream_of(service)
    replies = object_stream(replies_bucket(service))
    publish = [
        f"{service}.>",
        f"dlq.{service}.>",
        "$JS.API.INFO",
        *_stream_admin(own),
        *_reads(own),
        *_ephemeral_readers(own),  # the change feed reads its own events back in order
        *_stream_admin(DLQ_STREAM, update=False),  # created if missing, never changed
        *_reads(kv_stream(KEYS_BUCKET)),
        *_reads(object_stream(BODIES_BUCKET)),
        *_ephemeral_readers(object_stream(BODIES_BUCKET)),
        *_stream_admin(replies),
        *_reads(replies),
        _api("STREAM.PURGE", replies),
        f"$O.{replies_bucket(service)}.>",
    ]
    for durable in sorted(set(durables), key=lambda d: (d.stream, d.name)):
        publish += _durable(durable)
    return {
        "publish": {"allow": _unique(publish)},
        "subscribe": {"allow": [f"{inbox_prefix(service)}.>", f"rpc.{service}.http"]},
        "allow_responses": True,
    }


def gateway_permissions(services: Sequence[str] = SERVICES) -> dict[str, Any]:
    publish = [f"rpc.{service}.http" for service in services]
    publish.append("$JS.API.INFO")
    for bucket in (KEYS_BUCKET, RATE_LIMIT_BUCKET):
        publish += [*_stream_admin(kv_stream(bucket)), *_reads(kv_stream(bucket))]
        publish += [*_ephemeral_readers(kv_stream(bucket)), f"$KV.{bucket}.>"]
    bodies = object_stream(BODIES_BUCKET)
    publish += [*_stream_admin(bodies), *_reads(bodies), *_ephemeral_readers(bodies)]
    publish += [_api("STREAM.PURGE", bodies), f"$O.{BODIES_BUCKET}.>"]
    for service in services:  # read a large reply, then remove it
        replies = object_stream(replies_bucket(service))
        publish += [*_reads(replies), *_ephemeral_readers(replies)]
        publish += [_api("STREAM.PURGE", replies), f"$O.{replies_bucket(service)}.M.>"]
    for stream in STREAMS:  # webhooks: its own durable on each producer's stream, nothing more
        publish += _durable(Durable(stream, WEBHOOK_DURABLE))
    return {
        "publish": {"allow": _unique(publish)},
        "subscribe": {"allow": [f"{inbox_prefix(GATEWAY)}.>"]},
    }


def operator_permissions() -> dict[str, Any]:
    return {"publish": {"allow": [">"]}, "subscribe": {"allow": [">"]}}


def _unique(subjects: list[str]) -> list[str]:
    return list(dict.fromkeys(subjects))


def consumed_durables(services: Sequence[str] = SERVICES) -> dict[str, list[Durable]]:
    """The durables each service reads, from its own `consumers.subscriptions` (a service
    without that module consumes nothing)."""
    from junheng_kit.messaging.consumer import stream_for

    found: dict[str, list[Durable]] = {}
    for service in services:
        try:
            module = importlib.import_module(f"{service}.consumers")
        except ModuleNotFoundError as error:
            if error.name not in (f"{service}.consumers", service):
                raise
            found[service] = []
            continue
        entries = module.subscriptions.entries
        found[service] = sorted(
            {Durable(stream_for(e.subject), e.durable) for e in entries},
            key=lambda d: (d.stream, d.name),
        )
    return found


# --- nkeys ------------------------------------------------------------------------------------


def new_seed() -> bytes:
    """A new user nkey seed (`SU…`)."""
    import nkeys

    return bytes(nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER))


def public_key(seed: bytes) -> str:
    """The user's public nkey (`U…`), what the server configuration holds."""
    import nkeys

    pair = nkeys.from_seed(bytearray(seed.strip()))
    try:
        return bytes(pair.public_key).decode()
    finally:
        pair.wipe()


def seed_file(directory: Path, role: str) -> Path:
    return directory / f"{role}{SEED_SUFFIX}"


def _write_secret(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def ensure_seeds(directory: Path, roles: Iterable[str] = ROLES) -> dict[str, str]:
    """A seed per role in `directory` (kept when present); the roles' public keys."""
    keys = {}
    for role in roles:
        path = seed_file(directory, role)
        if not path.exists():
            _write_secret(path, new_seed() + b"\n")
        keys[role] = public_key(path.read_bytes())
    return keys


def users(
    public_keys: dict[str, str | Sequence[str]],
    durables: dict[str, list[Durable]],
    services: Sequence[str] = SERVICES,
) -> list[dict[str, Any]]:
    """The server's `authorization.users`: each role's key(s) with the role's permissions. A
    role may have two keys while its credential is being rotated."""
    entries = []
    for role, keys in public_keys.items():
        if role in services:
            permissions = service_permissions(role, durables.get(role, []))
        elif role == GATEWAY:
            permissions = gateway_permissions(services)
        elif role == OPERATOR:
            permissions = operator_permissions()
        else:
            raise ValueError(f"unknown NATS role {role!r}")
        for key in [keys] if isinstance(keys, str) else keys:
            entries.append({"nkey": key, "permissions": permissions})
    return entries


def auth_conf(entries: list[dict[str, Any]]) -> str:
    """An `authorization` block for nats-server (its configuration accepts JSON values)."""
    body = json.dumps({"users": entries}, indent=2, ensure_ascii=True)
    return (
        "# Junheng NATS identities: generated by `python -m junheng_kit.natsauth init`.\n"
        "# Public nkeys and subject permissions only; the seeds stay with their processes.\n"
        f"authorization {body}\n"
    )


def init(
    directory: Path,
    *,
    services: Sequence[str] = SERVICES,
    extra_keys: dict[str, list[str]] | None = None,
) -> Path:
    """Seeds for every role (kept when present) and the server's `auth.conf` (rewritten).
    `extra_keys`: further public keys per role, e.g. the old key during a rotation."""
    roles = (*services, GATEWAY, OPERATOR)
    keys: dict[str, str | Sequence[str]] = dict(ensure_seeds(directory, roles))
    for role, more in (extra_keys or {}).items():
        current = keys[role]
        keys[role] = [*([current] if isinstance(current, str) else current), *more]
    conf = directory / AUTH_CONF
    conf.write_text(auth_conf(users(keys, consumed_durables(services), services)))
    return conf


# --- TLS --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path

    @classmethod
    def in_dir(cls, directory: Path) -> TlsFiles:
        return cls(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")


def ensure_tls(directory: Path, hosts: Sequence[str], *, days: int = 825) -> TlsFiles:
    """A private CA and one certificate for the NATS nodes (kept when present): valid for
    `hosts` (names and IP addresses), for servers and — on route connections, which verify each
    other — for clients. The CA's key stays in `directory` (ca-key.pem) to add nodes later."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    files = TlsFiles.in_dir(directory)
    if files.ca.exists() and files.cert.exists() and files.key.exists():
        return files
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Junheng NATS CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "junheng-nats")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    unencrypted = serialization.NoEncryption()
    pkcs8 = serialization.PrivateFormat.PKCS8
    directory.mkdir(parents=True, exist_ok=True)
    _write_secret(directory / "ca-key.pem", ca_key.private_bytes(pem, pkcs8, unencrypted))
    _write_secret(files.key, key.private_bytes(pem, pkcs8, unencrypted))
    files.ca.write_bytes(ca.public_bytes(pem))
    files.cert.write_bytes(cert.public_bytes(pem))
    return files


def client_tls_context(ca_file: Path) -> ssl.SSLContext:
    """What a client trusts: the deployment's NATS CA only (not the system's store)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def server_tls_block(files: TlsFiles, *, verify: bool = False, indent: str = "  ") -> str:
    """A nats-server `tls { … }` block; `verify` asks the peer for a certificate (routes)."""
    lines = [
        f'cert_file: "{files.cert}"',
        f'key_file: "{files.key}"',
        f'ca_file: "{files.ca}"',
        "timeout: 5",
    ]
    if verify:
        lines.append("verify: true")
    inner = "\n".join(f"{indent}{line}" for line in lines)
    return f"tls {{\n{inner}\n}}"


# --- command line -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m junheng_kit.natsauth",
        description="NATS identities (nkeys), subject permissions and TLS for Junheng",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    init_cmd = sub.add_parser(
        "init", help="a seed per identity (kept when present) and the server's auth.conf"
    )
    init_cmd.add_argument("--dir", type=Path, required=True)
    init_cmd.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="ROLE=PUBLIC_NKEY",
        help="keep another public key for ROLE (the old one while rotating); repeatable",
    )
    tls_cmd = sub.add_parser("tls", help="a CA and a certificate for the NATS nodes")
    tls_cmd.add_argument("--dir", type=Path, required=True)
    tls_cmd.add_argument(
        "--host", action="append", required=True, help="a node's name or IP; repeatable"
    )
    tls_cmd.add_argument("--days", type=int, default=825)
    show = sub.add_parser("permissions", help="print every role's permissions as JSON")
    show.add_argument("--role", choices=ROLES)
    args = parser.parse_args(argv)
    if args.command == "init":
        extra: dict[str, list[str]] = {}
        for item in args.also:
            role, _, key = item.partition("=")
            if role not in ROLES or not key.startswith("U"):
                parser.error(f"--also {item!r}: expected ROLE=U… with ROLE one of {ROLES}")
            extra.setdefault(role, []).append(key)
        conf = init(args.dir, extra_keys=extra)
        print(f"seeds: {args.dir}/<role>{SEED_SUFFIX} (0600); server configuration: {conf}")
    elif args.command == "tls":
        files = ensure_tls(args.dir, args.host, days=args.days)
        print(f"CA {files.ca}; certificate {files.cert}; key {files.key}")
    else:
        durables = consumed_durables()
        roles = [args.role] if args.role else list(ROLES)
        table = {role: users({role: "U"}, durables)[0]["permissions"] for role in roles}
        json.dump(table, sys.stdout, indent=2)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
