"""Durable consumers: list where each one stands, and rewind one to receive events again.

`python -m junheng_kit.durables list [--stream S]`
`python -m junheng_kit.durables rewind --stream S --durable D (--since TIME | --seq N | --all)
[--dry-run]`

Why rewind: a consuming service whose database is restored from a backup has lost the events it
applied after the backup was taken, while its durable consumer in NATS had already acknowledged
them — they would not come again. `rewind --since <a few minutes before the backup began>`
moves the durable back to the first of its events stored at or after that time (JetStream's
consumer reset, nats-server 2.14 and newer; the stream dates an event when it stores it, a moment
before a consumer applies it, hence the margin); from there every event is delivered again
and the service's inbox (keyed by event id) applies each one it does not hold and skips the
others. Nothing else about the durable changes, so the service finds it as it created it; the
service may keep running.

`--seq N` rewinds to a stream sequence, `--all` to the start of the stream (every event again:
it takes as long as the stream is big). `--dry-run` says what would be delivered again and
changes nothing.

NATS address: `--nats-url` or `JUNHENG_NATS_URL` (the services' setting).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, ConsumerInfo, DeliverPolicy
from nats.js.errors import NotFoundError

from junheng_kit.messaging.connection import (
    OperatorError,
    connect_operator,
    operator_parser,
    run_operator_tool,
)

API_TIMEOUT_S = 10.0


class DurableError(OperatorError):
    """A durable that cannot be listed or rewound (unknown stream or name, an old server)."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where a durable stands in its stream."""

    stream: str
    durable: str
    subjects: tuple[str, ...]
    delivered: int  # stream sequence of the last message delivered
    ack_floor: int  # stream sequence up to which everything is acknowledged
    pending: int  # messages on its subjects not yet delivered
    ack_pending: int  # delivered, not yet acknowledged
    redelivered: int

    @classmethod
    def of(cls, info: ConsumerInfo) -> Position:
        config = info.config
        subjects = tuple(
            config.filter_subjects or ([config.filter_subject] if config.filter_subject else [])
        )
        return cls(
            stream=info.stream_name,
            durable=info.name,
            subjects=subjects,
            delivered=info.delivered.stream_seq if info.delivered else 0,
            ack_floor=info.ack_floor.stream_seq if info.ack_floor else 0,
            pending=info.num_pending or 0,
            ack_pending=info.num_ack_pending or 0,
            redelivered=info.num_redelivered or 0,
        )

    def summary(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "durable": self.durable,
            "subjects": list(self.subjects),
            "delivered_seq": self.delivered,
            "ack_floor_seq": self.ack_floor,
            "pending": self.pending,
            "ack_pending": self.ack_pending,
            "redelivered": self.redelivered,
        }


@dataclass(frozen=True, slots=True)
class Rewound:
    """A durable moved back: the first stream sequence it delivers next and how many of its
    messages lie from there to the end of the stream."""

    stream: str
    durable: str
    start_seq: int
    again: int
    applied: bool  # False: --dry-run


async def positions(js: JetStreamContext, stream: str | None = None) -> list[Position]:
    """Every durable consumer of `stream` (default: of every stream), by stream and name."""
    names = (
        [stream]
        if stream
        else sorted(s.config.name for s in await js.streams_info() if s.config.name)
    )
    found: list[Position] = []
    for name in names:
        try:
            infos = await js.consumers_info(name)
        except NotFoundError as exc:
            raise DurableError(f"no stream {name}") from exc
        found.extend(Position.of(i) for i in infos if i.config.durable_name)
    return sorted(found, key=lambda p: (p.stream, p.durable))


async def _position(js: JetStreamContext, stream: str, durable: str) -> Position:
    try:
        return Position.of(await js.consumer_info(stream, durable))
    except NotFoundError as exc:
        raise DurableError(f"no durable {durable} on stream {stream}") from exc


async def _probe(
    js: JetStreamContext, stream: str, subjects: Sequence[str], **start: Any
) -> tuple[int, int]:
    """The first stream sequence a consumer starting at `start` would deliver among
    `subjects`, and how many messages on them lie from there on: read off a throwaway
    consumer (the server positions it on creation; nothing is delivered)."""
    probe = await js.add_consumer(
        stream,
        ConsumerConfig(
            ack_policy=AckPolicy.NONE,
            filter_subjects=list(subjects) or None,
            inactive_threshold=30,
            **start,
        ),
    )
    try:
        first = (probe.delivered.stream_seq if probe.delivered else 0) + 1
        return first, probe.num_pending or 0
    finally:
        with contextlib.suppress(NotFoundError):  # else the inactive threshold removes it
            await js.delete_consumer(stream, probe.name or "")


async def first_seq_since(
    js: JetStreamContext, stream: str, subjects: Sequence[str], since: datetime
) -> tuple[int, int]:
    """The first stream sequence at or after `since` among `subjects`, and how many messages
    on them lie from there on."""
    return await _probe(
        js,
        stream,
        subjects,
        deliver_policy=DeliverPolicy.BY_START_TIME,
        opt_start_time=since.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    )


async def _reset(nc: Client, stream: str, durable: str, seq: int) -> int:
    """JetStream's consumer reset (ADR-60): the durable delivers from `seq` next; returns the
    sequence the server reset it to."""
    try:
        reply = await nc.request(
            f"$JS.API.CONSUMER.RESET.{stream}.{durable}",
            json.dumps({"seq": seq}).encode(),
            timeout=API_TIMEOUT_S,
        )
        answer = json.loads(reply.data or b"{}")
    except (NoRespondersError, NatsTimeoutError, TimeoutError, ValueError):
        answer = {}  # a server without the API does not answer it
    error = answer.get("error")
    if error:
        raise DurableError(
            f"the server refused to reset {durable} on {stream}: "
            f"{error.get('description', error)} (code {error.get('err_code', '?')})"
        )
    if "reset_seq" not in answer:
        raise DurableError(
            "this NATS server cannot reset a consumer (needs nats-server 2.14 or newer); "
            "delete the durable with the service stopped instead (runbook §3.4)"
        )
    return int(answer["reset_seq"])


async def rewind(
    nc: Client,
    stream: str,
    durable: str,
    *,
    since: datetime | None = None,
    seq: int | None = None,
    dry_run: bool = False,
) -> Rewound:
    """Move a durable back to the first of its messages at or after `since`, to stream
    sequence `seq`, or (neither) to the start of the stream."""
    js = nc.jetstream()
    position = await _position(js, stream, durable)
    if since is not None:
        start, again = await first_seq_since(js, stream, position.subjects, since)
    else:
        if seq is None:
            seq = (await js.stream_info(stream)).state.first_seq or 1
        if seq < 1:
            raise DurableError(f"--seq must be 1 or more, not {seq}")
        start, again = await _probe(
            js,
            stream,
            position.subjects,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=seq,
        )
    if not dry_run:
        start = await _reset(nc, stream, durable, start)
    return Rewound(stream, durable, start, again, not dry_run)


def _time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time, e.g. 2026-11-23T02:00:00+08:00"
        ) from exc
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no UTC offset: say which clock, e.g. {text}+08:00"
        )
    return value


def _parser() -> argparse.ArgumentParser:
    parser = operator_parser(
        "python -m junheng_kit.durables",
        "Durable event consumers: where they stand; rewind one after a restore",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="one line per durable consumer")
    listing.add_argument("--stream", help="only this stream, e.g. ENROLLMENT")
    listing.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    back = sub.add_parser("rewind", help="deliver a durable's events again from a point")
    back.add_argument("--stream", required=True, help="the durable's stream, e.g. ENROLLMENT")
    back.add_argument("--durable", required=True, help="e.g. evaluation-schools")
    where = back.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--since",
        type=_time,
        help="a few minutes before the backup began, with its offset: 2026-11-23T01:55:00+08:00",
    )
    where.add_argument("--seq", type=int, help="a stream sequence")
    where.add_argument("--all", action="store_true", help="the start of the stream")
    back.add_argument(
        "--dry-run", action="store_true", help="say what would happen, change nothing"
    )
    return parser


async def _run(args: argparse.Namespace) -> int:
    nc = await connect_operator(args, "junheng-durables")
    try:
        if args.command == "list":
            found = await positions(nc.jetstream(), args.stream)
            if not args.json:  # sequences are stream sequences
                print(
                    f"{'stream':<11} {'durable':<28} {'delivered':>9} {'ack floor':>9} "
                    f"{'pending':>8} {'unacked':>8}  subjects"
                )
            for p in found:
                if args.json:
                    print(json.dumps(p.summary(), ensure_ascii=False))
                else:
                    print(
                        f"{p.stream:<11} {p.durable:<28} {p.delivered:>9} {p.ack_floor:>9} "
                        f"{p.pending:>8} {p.ack_pending:>8}  {', '.join(p.subjects)}"
                    )
            if not args.json:
                print(f"{len(found)} durable consumer(s)", file=sys.stderr)
            return 0
        done = await rewind(
            nc,
            args.stream,
            args.durable,
            since=args.since,
            seq=None if args.all else args.seq,
            dry_run=args.dry_run,
        )
        verb = "rewound" if done.applied else "would rewind (dry run, nothing changed)"
        print(
            f"{done.stream} {done.durable}: {verb} to stream seq {done.start_seq}; "
            f"{done.again} message(s) on its subjects from there on will be delivered again "
            "(the inbox skips those already applied)"
        )
        return 0
    finally:
        await nc.close()


async def run(argv: Sequence[str] | None = None) -> int:
    """The command line in a running event loop: exit status 0 ok, 2 a durable that cannot be
    listed or rewound."""
    return await run_operator_tool(_parser(), _run, argv)


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(run(argv))


if __name__ == "__main__":
    sys.exit(main())
