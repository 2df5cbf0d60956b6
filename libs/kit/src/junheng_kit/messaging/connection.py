"""NATS connection and the JetStream assets every process declares at start-up (idempotently)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

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

log = logging.getLogger("junheng.nats")

BODIES_BUCKET = "junheng-bodies"  # large HTTP bodies between gateway and services
DLQ_STREAM = "DLQ"
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
        help="NATS server (default: JUNHENG_NATS_URL or %(default)s)",
    )
    return parser


async def connect(url: str, name: str, **kwargs: Any) -> Client:
    async def _disconnected() -> None:
        log.warning("nats.disconnected", extra={"client": name})

    async def _reconnected() -> None:
        log.info("nats.reconnected", extra={"client": name})

    async def _error(exc: Exception) -> None:
        log.warning("nats.error", extra={"client": name, "error": str(exc)})

    return await nats.connect(
        url,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        disconnected_cb=_disconnected,
        reconnected_cb=_reconnected,
        error_cb=_error,
        **kwargs,
    )


async def ensure_stream(
    js: JetStreamContext, name: str, subjects: list[str], replicas: int = 1
) -> None:
    config = StreamConfig(
        name=name,
        subjects=subjects,
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        num_replicas=replicas,
        duplicate_window=DUPLICATE_WINDOW_S,
        discard=DiscardPolicy.OLD,
    )
    try:
        await js.add_stream(config)
    except BadRequestError:
        await js.update_stream(config)


async def ensure_streams(js: JetStreamContext, replicas: int = 1) -> None:
    """Every producer's stream and the dead-letter stream; harmless to repeat."""
    for name, subject in STREAMS.items():
        await ensure_stream(js, name, [subject], replicas)
    await ensure_stream(js, DLQ_STREAM, ["dlq.>"], replicas)


async def ensure_buckets(js: JetStreamContext, replicas: int = 1) -> None:
    try:
        await js.object_store(BODIES_BUCKET)
    except NotFoundError:
        await js.create_object_store(
            BODIES_BUCKET,
            ObjectStoreConfig(
                bucket=BODIES_BUCKET,
                ttl=900,
                storage=StorageType.FILE,
                replicas=replicas,
                description="HTTP bodies above the NATS message size",
            ),
        )
    from junheng_kit.auth import KEYS_BUCKET

    try:
        await js.key_value(KEYS_BUCKET)
    except NotFoundError:
        await js.create_key_value(
            KeyValueConfig(
                bucket=KEYS_BUCKET, history=5, replicas=replicas, storage=StorageType.FILE
            )
        )
