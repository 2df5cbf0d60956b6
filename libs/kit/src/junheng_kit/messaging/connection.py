"""NATS connection and the JetStream assets every process declares at start-up (idempotently)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import (
    DiscardPolicy,
    KeyValueConfig,
    ObjectStoreConfig,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError, NotFoundError

from junheng_contracts import STREAMS
from junheng_kit.logs import quiet_tls_close
from junheng_kit.natsauth import (
    BODIES_BUCKET,
    DLQ_STREAM,
    KEYS_BUCKET,
    client_tls_context,
    inbox_prefix,
    kv_stream,
    object_stream,
    replies_bucket,
)
from junheng_kit.readiness import Readiness
from junheng_kit.settings import nats_servers

log = logging.getLogger("junheng.nats")

__all__ = ["BODIES_BUCKET", "DLQ_STREAM", "KEYS_BUCKET"]

DUPLICATE_WINDOW_S = 300.0
DEFAULT_NATS_URL = "nats://127.0.0.1:4222"


def dead_letter_subject(service: str, durable: str) -> str:
    """Where `service`'s consumer `durable` puts the events it gave up on (DLQ stream)."""
    return f"dlq.{service}.{durable}"


class OperatorError(RuntimeError):
    """What an operator's NATS tool cannot do, said in one line (exit status 2)."""


async def run_operator_tool(
    parser: argparse.ArgumentParser,
    body: Callable[[argparse.Namespace], Awaitable[int]],
    argv: Sequence[str] | None,
) -> int:
    """Parse `argv` and run the tool's `body`; an `OperatorError` is printed as `error: …`
    and exits with 2."""
    args = parser.parse_args(argv)
    # the tool speaks for itself in one line: the client's warnings (a reconnect, a node
    # closing its TLS side) stay out of the operator's terminal
    logging.getLogger("junheng.nats").setLevel(logging.ERROR)
    quiet_tls_close()
    try:
        return await body(args)
    except OperatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def operator_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """The command line of an operator's NATS tool (dead letters, durables) with its
    `--nats-url`, by default the services' own JUNHENG_NATS_URL."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--nats-url",
        default=os.environ.get("JUNHENG_NATS_URL") or DEFAULT_NATS_URL,
        help="NATS server(s), comma-separated (default: JUNHENG_NATS_URL or %(default)s)",
    )
    parser.add_argument(
        "--nkey-seed-file",
        type=Path,
        default=_env_path("JUNHENG_NATS_NKEY_SEED_FILE"),
        help="the operator identity's nkey seed (default: JUNHENG_NATS_NKEY_SEED_FILE)",
    )
    parser.add_argument(
        "--ca-file",
        type=Path,
        default=_env_path("JUNHENG_NATS_CA_FILE"),
        help="CA of the NATS nodes' certificates: TLS (default: JUNHENG_NATS_CA_FILE)",
    )
    return parser


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


async def connect_operator(args: argparse.Namespace, name: str) -> Client:
    """The connection of an operator's tool (no reconnects: it fails at once, in one line)."""
    try:
        return await connect(
            args.nats_url,
            name,
            seed_file=args.nkey_seed_file,
            ca_file=args.ca_file,
            inbox="_INBOX_operator",
            allow_reconnect=False,
        )
    except Exception as exc:  # one line for the operator, not a traceback
        missing = [
            hint
            for value, hint in (
                (args.nkey_seed_file, "the operator's identity: --nkey-seed-file"),
                (args.ca_file, "the NATS CA: --ca-file"),
            )
            if value is None
        ]
        advice = f" (give {' and '.join(missing)})" if missing else ""
        raise OperatorError(f"cannot connect to NATS at {args.nats_url}: {exc}{advice}") from exc


async def connect(
    url: str | list[str],
    name: str,
    *,
    seed_file: Path | None = None,
    ca_file: Path | None = None,
    inbox: str | None = None,
    **kwargs: Any,
) -> Client:
    """A NATS connection as `name`: to every server of `url` (a list, or one string with
    commas), with this process's nkey `seed_file`, over TLS trusting only `ca_file`, replies on
    the identity's own `inbox` prefix (default `_INBOX_<name>`: the server lets nobody else
    subscribe there)."""

    async def _disconnected() -> None:
        log.warning("nats.disconnected", extra={"client": name})

    async def _reconnected() -> None:
        log.info("nats.reconnected", extra={"client": name})

    also_on_error = kwargs.pop("error_cb", None)

    async def _error(exc: Exception) -> None:
        log.warning("nats.error", extra={"client": name, "error": str(exc)})
        if also_on_error is not None:
            await also_on_error(exc)

    servers = nats_servers(url) if isinstance(url, str) else list(url)
    if seed_file is not None:
        kwargs["nkeys_seed"] = str(seed_file)
    if ca_file is not None:
        kwargs["tls"] = client_tls_context(ca_file)
        # a URL without a scheme of its own talks TLS to the node
        servers = [
            s if "://" not in s or s.startswith("tls://") else "tls://" + s.split("://", 1)[1]
            for s in servers
        ]
    kwargs.setdefault("max_reconnect_attempts", -1)
    kwargs.setdefault("reconnect_time_wait", 0.5)
    return await nats.connect(
        servers or [DEFAULT_NATS_URL],
        name=name,
        inbox_prefix=inbox or inbox_prefix(name),
        disconnected_cb=_disconnected,
        reconnected_cb=_reconnected,
        error_cb=_error,
        **kwargs,
    )


async def connect_with(settings: Any, name: str | None = None) -> Client:
    """The connection a process makes from its settings (JUNHENG_NATS_URL, _NKEY_SEED_FILE,
    _CA_FILE)."""
    return await connect(
        settings.nats_servers,
        name or settings.service_name,
        seed_file=settings.nats_nkey_seed_file,
        ca_file=settings.nats_ca_file,
    )


# --- JetStream assets: created when missing, raised when asked, never lowered -----------------


@dataclass(frozen=True, slots=True)
class StreamPlan:
    """What to do with one stream: `create` it, `update` it to `config`, or `keep` it; and the
    differences left alone (a stream this process would have lowered or cannot change)."""

    action: Literal["create", "update", "keep"]
    config: StreamConfig
    problems: tuple[str, ...] = ()


def reconcile(desired: StreamConfig, existing: StreamConfig | None) -> StreamPlan:
    """How `existing` meets `desired`, never lowering it.

    Replicas and the duplicate window are raised to what is asked and never lowered; subjects
    are added, never removed; storage, retention and discard cannot change in place. Limits an
    operator set (max age, bytes, messages) are theirs and are left as they are. A request
    below what the stream has is a problem: logged, and readiness fails until the process's
    settings agree with the deployment (JUNHENG_STREAM_REPLICAS)."""
    if existing is None:
        return StreamPlan("create", desired)
    name = existing.name
    problems: list[str] = []
    changes: dict[str, Any] = {}
    have, want = existing.num_replicas or 1, desired.num_replicas or 1
    if want > have:
        changes["num_replicas"] = want
    elif want < have:
        problems.append(
            f"stream {name} has {have} replicas; this process asks for {want} "
            "(JUNHENG_STREAM_REPLICAS): left at {have}".replace("{have}", str(have))
        )
    if (desired.duplicate_window or 0) > (existing.duplicate_window or 0):
        changes["duplicate_window"] = desired.duplicate_window
    missing = [s for s in desired.subjects or [] if s not in (existing.subjects or [])]
    if missing:
        changes["subjects"] = [*(existing.subjects or []), *missing]
    for field_name in ("storage", "retention", "discard"):
        want_value, have_value = getattr(desired, field_name), getattr(existing, field_name)
        if want_value is not None and have_value is not None and want_value != have_value:
            problems.append(
                f"stream {name} has {field_name} {_plain(have_value)}, this process expects "
                f"{_plain(want_value)}: cannot be changed in place, left as it is"
            )
    if changes:
        return StreamPlan("update", replace(existing, **changes), tuple(problems))
    return StreamPlan("keep", existing, tuple(problems))


def _plain(value: Any) -> str:
    return str(getattr(value, "value", value))


async def _stream_config(js: JetStreamContext, name: str) -> StreamConfig | None:
    try:
        return (await js.stream_info(name)).config
    except NotFoundError:
        return None


async def ensure(
    js: JetStreamContext,
    desired: StreamConfig,
    *,
    create: Callable[[], Awaitable[Any]] | None = None,
    may_update: bool = True,
) -> list[str]:
    """Bring one stream to `desired` without lowering it (`reconcile`); `create` makes a
    missing one (a KV bucket or object store through the library); `may_update` false: this
    identity may create the stream but not change it (the shared dead-letter stream). The
    problems found, also logged."""
    assert desired.name is not None
    for _ in range(3):  # a replica creating it at the same moment: look again
        plan = reconcile(desired, await _stream_config(js, desired.name))
        try:
            if plan.action == "create":
                await (create() if create is not None else js.add_stream(desired))
            elif plan.action == "update" and may_update:
                await js.update_stream(plan.config)
                log.info("jetstream.stream_raised", extra={"stream": desired.name})
            elif plan.action == "update":
                plan = replace(
                    plan,
                    problems=(
                        *plan.problems,
                        f"stream {desired.name} differs from what this process expects; "
                        "it is not this process's to change",
                    ),
                )
        except BadRequestError:
            if plan.action != "create":
                raise
            continue  # created meanwhile by another process
        for problem in plan.problems:
            log.warning("jetstream.stream_mismatch", extra={"problem": problem})
        return list(plan.problems)
    raise RuntimeError(f"stream {desired.name} could not be created")


def event_stream(name: str, subjects: list[str], replicas: int) -> StreamConfig:
    return StreamConfig(
        name=name,
        subjects=subjects,
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        num_replicas=replicas,
        duplicate_window=DUPLICATE_WINDOW_S,
        discard=DiscardPolicy.OLD,
    )


async def ensure_stream(
    js: JetStreamContext, name: str, subjects: list[str], replicas: int = 1
) -> list[str]:
    return await ensure(js, event_stream(name, subjects, replicas))


async def ensure_streams(js: JetStreamContext, replicas: int = 1) -> list[str]:
    """Every producer's stream and the dead-letter stream (tests and tools; a service ensures
    only its own: `ensure_service_assets`)."""
    problems = []
    for name, subject in STREAMS.items():
        problems += await ensure_stream(js, name, [subject], replicas)
    problems += await ensure_stream(js, DLQ_STREAM, ["dlq.>"], replicas)
    return problems


async def ensure_object_store(
    js: JetStreamContext, bucket: str, replicas: int, *, ttl: float, description: str
) -> list[str]:
    desired = StreamConfig(name=object_stream(bucket), num_replicas=replicas, discard=None)

    async def create() -> None:
        await js.create_object_store(
            bucket,
            ObjectStoreConfig(
                bucket=bucket,
                ttl=ttl,
                storage=StorageType.FILE,
                replicas=replicas,
                description=description,
            ),
        )

    return await ensure(js, desired, create=create)


async def ensure_key_value(
    js: JetStreamContext, bucket: str, replicas: int, *, history: int = 5, ttl: float = 0
) -> list[str]:
    desired = StreamConfig(name=kv_stream(bucket), num_replicas=replicas, discard=None)

    async def create() -> None:
        await js.create_key_value(
            KeyValueConfig(
                bucket=bucket,
                history=history,
                ttl=ttl or None,
                replicas=replicas,
                storage=StorageType.FILE,
            )
        )

    return await ensure(js, desired, create=create)


async def ensure_buckets(js: JetStreamContext, replicas: int = 1) -> list[str]:
    """The gateway's buckets: the request-body store and the signing keys."""
    return [
        *await ensure_object_store(
            js,
            BODIES_BUCKET,
            replicas,
            ttl=900,
            description="HTTP request bodies above the NATS message size (gateway → service)",
        ),
        *await ensure_key_value(js, KEYS_BUCKET, replicas),
    ]


def _own_stream(service: str) -> tuple[str, str]:
    for name, subject in STREAMS.items():
        if subject == f"{service}.>":
            return name, subject
    raise ValueError(f"{service} produces no stream")


async def ensure_service_assets(js: JetStreamContext, service: str, replicas: int) -> list[str]:
    """What a service owns on JetStream: its event stream, its reply bucket, and the shared
    dead-letter stream (created when missing, never changed by a service)."""
    problems: list[str] = []
    if any(subject == f"{service}.>" for subject in STREAMS.values()):
        name, subject = _own_stream(service)
        problems += await ensure_stream(js, name, [subject], replicas)
    problems += await ensure(js, event_stream(DLQ_STREAM, ["dlq.>"], replicas), may_update=False)
    problems += await ensure_object_store(
        js,
        replies_bucket(service),
        replicas,
        ttl=900,
        description=f"{service}'s HTTP replies above the NATS message size (service → gateway)",
    )
    return problems


class JetStreamSetup:
    """A process's JetStream set-up, retried with backoff until it succeeds (a NATS leader
    election or a node restart at start-up delays readiness instead of ending the process).

    `state`: `pending` until the first complete run, then `ok`, or `mismatch` when an asset
    differs from what the process asks and was left as it is (`problems`): readiness fails."""

    def __init__(self, steps: Callable[[], Awaitable[list[str]]], *, name: str) -> None:
        self.steps, self.name = steps, name
        self.state: Literal["pending", "ok", "mismatch"] = "pending"
        self.problems: list[str] = []
        self.last_error: str | None = None
        self.done = asyncio.Event()

    async def run(self, *, first_wait: float = 0.25, max_wait: float = 8.0) -> None:
        wait = first_wait
        while True:
            try:
                self.problems = await self.steps()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - retried: NATS or JetStream not ready yet
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "jetstream.setup_retry",
                    extra={"client": self.name, "error": self.last_error, "wait_s": wait},
                )
                await asyncio.sleep(wait * (0.75 + random.random() / 2))  # noqa: S311 - jitter
                wait = min(wait * 2, max_wait)
                continue
            self.last_error = None
            self.state = "mismatch" if self.problems else "ok"
            self.done.set()
            log.info("jetstream.ready", extra={"client": self.name, "state": self.state})
            return

    async def readiness(self, app: Any) -> Readiness:
        """The `/readyz` check `jetstream`: failed while pending (not set up yet: no bridge, no
        relay) or when an asset was left as it is because this process asked for less."""
        if self.state == "pending":
            return Readiness("failed", {"state": "pending", "last_error": self.last_error})
        if self.state == "mismatch":
            return Readiness("failed", {"state": "mismatch", "problems": self.problems})
        return Readiness("ok")
