"""Dead letters: list, show and replay the events a consumer gave up on.

`python -m junheng_kit.dlq list|show|replay|purge --service S --durable D [--seq N]`

A consumer whose handler keeps failing publishes the event to `dlq.<service>.<durable>` in the
`DLQ` stream (see messaging/consumer.py) with the original subject, stream sequence and
`Nats-Msg-Id` in headers. Once the cause is fixed, `replay` republishes the untouched payload to
its original subject with its original `Nats-Msg-Id`, then deletes the dead letter:

- every durable consumer of that subject receives it again and its inbox (keyed by event id)
  applies it at most once, so consumers that had applied it already ignore it;
- two replays of the same letter within the stream's duplicate window store it once;
- a replay still inside the duplicate window of the original publication is dropped by
  JetStream: the letter is kept and reported as `duplicate`; replay it after the window
  (`DUPLICATE_WINDOW_S`, 5 minutes).

`purge` deletes letters without replaying them (an event that is obsolete, or applied by hand).
Each consumer's depth is `junheng_dead_letters{durable}` and `/readyz` (messaging/dead_letters.py).

NATS address: `--nats-url` or `JUNHENG_NATS_URL` (the services' setting).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg
from nats.js.errors import NotFoundError

from junheng_kit.messaging.connection import (
    DLQ_STREAM,
    OperatorError,
    connect_operator,
    operator_parser,
    run_operator_tool,
)


class DeadLetterError(OperatorError):
    """A letter that cannot be shown or replayed (wrong subject, missing headers)."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One message of the DLQ stream and what it says about the original event."""

    seq: int
    subject: str  # dlq.<service>.<durable>
    time: datetime | None
    original_subject: str
    original_msg_id: str
    delivered: int | None
    original_stream: str | None
    original_sequence: int | None
    payload: bytes

    @classmethod
    def of(cls, raw: RawStreamMsg) -> DeadLetter:
        headers: dict[str, str] = dict(raw.headers or {})
        payload = raw.data or b""
        original_subject = headers.get("Junheng-Original-Subject")
        if raw.seq is None or raw.subject is None or not original_subject:
            raise DeadLetterError(f"DLQ message {raw.seq} has no Junheng-Original-Subject")
        # letters written before the header existed: the outbox's Nats-Msg-Id is the event id
        msg_id = headers.get("Junheng-Original-Msg-Id") or _event_field(payload, "id")
        if not msg_id:
            raise DeadLetterError(f"DLQ message {raw.seq}: no original Nats-Msg-Id or event id")
        delivered = headers.get("Junheng-Delivered")
        sequence = headers.get("Junheng-Original-Sequence")
        return cls(
            seq=raw.seq,
            subject=raw.subject,
            time=raw.time,
            original_subject=original_subject,
            original_msg_id=msg_id,
            delivered=int(delivered) if delivered else None,
            original_stream=headers.get("Junheng-Original-Stream"),
            original_sequence=int(sequence) if sequence else None,
            payload=payload,
        )

    @property
    def event_type(self) -> str:
        return _event_field(self.payload, "type") or "?"

    def summary(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "subject": self.subject,
            "dead_lettered_at": self.time.isoformat() if self.time else None,
            "original_subject": self.original_subject,
            "original_stream": self.original_stream,
            "original_sequence": self.original_sequence,
            "nats_msg_id": self.original_msg_id,
            "event_type": self.event_type,
            "delivered": self.delivered,
        }


@dataclass(frozen=True, slots=True)
class Replayed:
    letter: DeadLetter
    stream: str
    stream_seq: int
    duplicate: bool  # JetStream dropped it: the original is still inside the duplicate window


def _event_field(payload: bytes, name: str) -> str | None:
    try:
        value = json.loads(payload).get(name)
    except (ValueError, AttributeError):
        return None
    return str(value) if value is not None else None


def dlq_subject(service: str | None = None, durable: str | None = None) -> str:
    """`dlq.<service>.<durable>`, with `*`/`>` where a part is not given."""
    if durable and not service:
        raise DeadLetterError("--durable needs --service")
    if service and durable:
        return f"dlq.{service}.{durable}"
    return f"dlq.{service}.>" if service else "dlq.>"


async def letters(js: JetStreamContext, subject: str) -> AsyncIterator[DeadLetter]:
    """The letters on `subject` (wildcards allowed), oldest first, read without a consumer."""
    seq = 1
    while True:
        try:
            raw = await js.get_msg(DLQ_STREAM, seq=seq, subject=subject, next=True)
        except NotFoundError:
            return
        yield DeadLetter.of(raw)
        seq = (raw.seq or seq) + 1


async def letter(js: JetStreamContext, seq: int, subject: str) -> DeadLetter:
    try:
        raw = await js.get_msg(DLQ_STREAM, seq=seq)
    except NotFoundError as exc:
        raise DeadLetterError(f"no message {seq} in the {DLQ_STREAM} stream") from exc
    found = DeadLetter.of(raw)
    if not _matches(found.subject, subject):
        raise DeadLetterError(f"message {seq} is on {found.subject}, not {subject}")
    return found


def _matches(subject: str, pattern: str) -> bool:
    parts, wanted = subject.split("."), pattern.split(".")
    for index, part in enumerate(wanted):
        if part == ">":
            return len(parts) > index
        if index >= len(parts) or part not in ("*", parts[index]):
            return False
    return len(parts) == len(wanted)


async def replay(
    js: JetStreamContext, subject: str, *, seq: int | None = None, keep: bool = False
) -> list[Replayed]:
    """Republish the letters on `subject` (or only letter `seq`) to their original subjects
    with their original `Nats-Msg-Id`; delete each stored one from the DLQ unless `keep`."""
    chosen = [await letter(js, seq, subject)] if seq else [x async for x in letters(js, subject)]
    done: list[Replayed] = []
    for item in chosen:
        ack = await js.publish(
            item.original_subject, item.payload, headers={"Nats-Msg-Id": item.original_msg_id}
        )
        duplicate = bool(ack.duplicate)
        if not duplicate and not keep:
            await js.delete_msg(DLQ_STREAM, item.seq)
        done.append(Replayed(item, ack.stream, ack.seq, duplicate))
    return done


async def purge(js: JetStreamContext, subject: str, *, seq: int | None = None) -> list[DeadLetter]:
    """Delete the letters on `subject` (or only letter `seq`) without replaying them."""
    chosen = [await letter(js, seq, subject)] if seq else [x async for x in letters(js, subject)]
    for item in chosen:
        await js.delete_msg(DLQ_STREAM, item.seq)
    return chosen


def _parser() -> argparse.ArgumentParser:
    parser = operator_parser(
        "python -m junheng_kit.dlq",
        "Dead-lettered events (DLQ stream, dlq.<service>.<durable>)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="one line per dead letter, oldest first")
    listing.add_argument("--service", help="the consuming service, e.g. evaluation")
    listing.add_argument("--durable", help="the consumer's durable name, e.g. evaluation-schools")
    listing.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    show = sub.add_parser("show", help="one letter: headers and the event as JSON")
    show.add_argument("--service", required=True)
    show.add_argument("--durable", required=True)
    show.add_argument("--seq", type=int, required=True, help="the letter's DLQ stream sequence")
    again = sub.add_parser("replay", help="republish to the original subject, then delete")
    again.add_argument("--service", required=True)
    again.add_argument("--durable", required=True)
    again.add_argument("--seq", type=int, help="only this letter (default: every letter)")
    again.add_argument("--keep", action="store_true", help="keep the letters in the DLQ")
    drop = sub.add_parser("purge", help="delete letters without replaying them")
    drop.add_argument("--service", required=True)
    drop.add_argument("--durable", required=True)
    drop.add_argument("--seq", type=int, help="only this letter (default: every letter)")
    return parser


async def _run(args: argparse.Namespace) -> int:
    nc = await connect_operator(args, "junheng-dlq")
    try:
        js = nc.jetstream()
        subject = dlq_subject(args.service, args.durable)
        if args.command == "list":
            count = 0
            async for item in letters(js, subject):
                count += 1
                if args.json:
                    print(json.dumps(item.summary(), ensure_ascii=False))
                else:
                    when = item.time.isoformat(timespec="seconds") if item.time else "-"
                    print(
                        f"{item.seq:>8}  {when}  {item.subject}  {item.original_subject}  "
                        f"{item.original_msg_id}  delivered={item.delivered}"
                    )
            if not args.json:
                print(f"{count} dead letter(s) on {subject}", file=sys.stderr)
            return 0
        if args.command == "show":
            item = await letter(js, args.seq, subject)
            event: Any
            try:
                event = json.loads(item.payload)
            except ValueError:
                event = item.payload.decode(errors="replace")
            print(json.dumps({**item.summary(), "event": event}, ensure_ascii=False, indent=2))
            return 0
        if args.command == "purge":
            purged = await purge(js, subject, seq=args.seq)
            for item in purged:
                print(f"{item.seq:>8}  {item.original_subject}  {item.original_msg_id}  purged")
            print(f"{len(purged)} purged from {subject}", file=sys.stderr)
            return 0
        results = await replay(js, subject, seq=args.seq, keep=args.keep)
        for result in results:
            state = "duplicate (inside the duplicate window; kept)" if result.duplicate else "ok"
            print(
                f"{result.letter.seq:>8}  {result.letter.original_subject}  "
                f"{result.letter.original_msg_id}  → {result.stream} seq {result.stream_seq}  "
                f"{state}"
            )
        skipped = sum(r.duplicate for r in results)
        print(
            f"{len(results) - skipped} replayed, {skipped} dropped as duplicates, from {subject}",
            file=sys.stderr,
        )
        return 1 if skipped else 0
    finally:
        await nc.close()


async def run(argv: Sequence[str] | None = None) -> int:
    """The command line in a running event loop: exit status 0 ok, 1 something was not
    replayed (duplicate window), 2 a letter that cannot be shown or replayed."""
    return await run_operator_tool(_parser(), _run, argv)


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(run(argv))


if __name__ == "__main__":
    sys.exit(main())
