"""`python -m junheng_kit.durables`: a consumer whose database was restored from a backup is
rewound and receives again exactly the events it lost (real nats-server, real ConsumerRunner,
inbox on SQLite and PostgreSQL)."""

import asyncio
import contextlib
import io
import json
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from junheng_contracts.enrollment import SchoolRegistered
from junheng_kit.durables import run
from junheng_kit.ids import uuid7
from junheng_kit.messaging import Subscriptions
from junheng_kit.messaging.consumer import DUPLICATES, ConsumerRunner
from junheng_kit.tables import ProcessedMessage
from junheng_kit.testing.plugin import eventually, school_registered

CHINA = timezone(timedelta(hours=8))


async def durables(nats_url: str, *args: str) -> tuple[int, str, str]:
    """The command line tool's exit status, stdout and stderr (in this process)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = await run(["--nats-url", nats_url, *args])
    return code, out.getvalue(), err.getvalue()


class Restored:
    """A consumer that applied three school registrations, then lost the last two: its
    database restored to a backup taken between the first and the second."""

    def __init__(self, js: JetStreamContext, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.js, self.sessions = js, sessions
        self.durable = f"durables-test-{uuid7().hex[-8:]}"
        self.applied: list[str] = []
        self.events = [school_registered(name=f"重放测试{n}小学") for n in range(3)]
        self.backup_time = datetime.now(UTC)
        subscriptions = Subscriptions()

        @subscriptions.on(SchoolRegistered, durable=self.durable)
        async def apply(session: AsyncSession, received: Any) -> None:
            if received.id in {e.id for e in self.events}:
                self.applied.append(received.id)

        self.subscriptions = subscriptions
        self.runner = self.new_runner()

    def new_runner(self) -> ConsumerRunner:
        """The consuming service's runner (a restarted service has a new one)."""
        return ConsumerRunner("kit", self.subscriptions, self.sessions, self.js)

    async def start(self) -> None:
        await self.runner.start()
        first, *rest = self.events
        await self.publish(first)
        await eventually(lambda: _true(self.applied == [first.id]))
        await asyncio.sleep(0.05)  # the backup's clock lies strictly between the publications
        self.backup_time = datetime.now(UTC)
        await asyncio.sleep(0.05)
        for event in rest:
            await self.publish(event)
        await eventually(lambda: _true(self.applied == [e.id for e in self.events]))
        # the restore: the database is back at the backup, the inbox without the last two
        async with self.sessions() as session:
            await session.execute(
                delete(ProcessedMessage).where(
                    ProcessedMessage.consumer == self.durable,
                    ProcessedMessage.event_id.in_([e.id for e in rest]),
                )
            )
            await session.commit()
        self.applied.clear()

    async def rewind(self, nats_url: str, *args: str) -> tuple[int, str, str]:
        return await durables(
            nats_url, "rewind", "--stream", "ENROLLMENT", "--durable", self.durable, *args
        )

    async def publish(self, event: SchoolRegistered) -> None:
        await self.js.publish(
            event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id}
        )


async def _true(value: bool) -> bool:
    return value


@pytest.fixture
async def restored(
    js: JetStreamContext, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Restored]:
    consumer = Restored(js, sessions)
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.runner.stop()
        with contextlib.suppress(Exception):
            await js.delete_consumer("ENROLLMENT", consumer.durable)


class TestRewind:
    async def test_since_the_backup_delivers_again_exactly_the_lost_events(
        self, restored: Restored, nats_url: str, js: JetStreamContext
    ) -> None:
        lost = [e.id for e in restored.events[1:]]
        skipped = DUPLICATES.labels(restored.durable)._value.get()
        code, out, _ = await restored.rewind(
            nats_url,
            "--since",
            restored.backup_time.astimezone(CHINA).isoformat(),  # as a bureau writes it
        )
        assert code == 0, out
        assert f"{restored.durable}: rewound to stream seq" in out
        assert "2 message(s)" in out
        await eventually(lambda: _true(restored.applied == lost))
        await asyncio.sleep(0.3)
        assert restored.applied == lost
        # the first event is not delivered again at all (not even to be skipped by the inbox)
        assert DUPLICATES.labels(restored.durable)._value.get() == skipped
        info = await js.consumer_info("ENROLLMENT", restored.durable)
        assert info.config.deliver_policy == DeliverPolicy.ALL  # the durable as its service made it

    async def test_all_delivers_everything_and_the_inbox_skips_what_the_database_holds(
        self, restored: Restored, nats_url: str
    ) -> None:
        before = DUPLICATES.labels(restored.durable)._value.get()
        code, out, _ = await restored.rewind(nats_url, "--all")
        assert code == 0, out
        await eventually(lambda: _true(restored.applied == [e.id for e in restored.events[1:]]))
        # the first registration came again (with every earlier event of the stream) and was
        # skipped by the inbox
        await eventually(
            lambda: _true(DUPLICATES.labels(restored.durable)._value.get() >= before + 1)
        )
        assert restored.applied == [e.id for e in restored.events[1:]]

    async def test_a_dry_run_changes_nothing(self, restored: Restored, nats_url: str) -> None:
        code, out, _ = await restored.rewind(
            nats_url,
            "--since",
            restored.backup_time.isoformat(),
            "--dry-run",
        )
        assert code == 0
        assert "dry run, nothing changed" in out
        assert "2 message(s)" in out
        await asyncio.sleep(0.5)
        assert restored.applied == []

    async def test_the_service_starts_again_on_a_rewound_durable(
        self, restored: Restored, nats_url: str
    ) -> None:
        """A restart after the rewind finds the durable as it made it (same configuration)."""
        await restored.runner.stop()
        code, _, _ = await restored.rewind(
            nats_url,
            "--since",
            restored.backup_time.isoformat(),
        )
        assert code == 0
        restored.runner = restored.new_runner()
        await restored.runner.start()
        await eventually(lambda: _true(restored.applied == [e.id for e in restored.events[1:]]))

    async def test_a_time_after_the_last_event_delivers_nothing(
        self, restored: Restored, nats_url: str
    ) -> None:
        later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        code, out, _ = await restored.rewind(
            nats_url,
            "--since",
            later,
        )
        assert code == 0
        assert "0 message(s)" in out
        await asyncio.sleep(0.5)
        assert restored.applied == []


class TestMistakes:
    async def test_an_unknown_durable_is_named(self, nats_url: str) -> None:
        code, _, err = await durables(
            nats_url, "rewind", "--stream", "ENROLLMENT", "--durable", "nobody", "--all"
        )
        assert code == 2
        assert "no durable nobody on stream ENROLLMENT" in err

    async def test_a_time_without_offset_is_refused_before_anything_happens(
        self, nats_url: str
    ) -> None:
        with pytest.raises(SystemExit) as exit_:
            await durables(
                nats_url,
                "rewind",
                "--stream",
                "ENROLLMENT",
                "--durable",
                "x",
                "--since",
                "2026-11-23T02:00:00",
            )
        assert exit_.value.code == 2


class TestList:
    async def test_a_durable_is_listed_with_where_it_stands(
        self, restored: Restored, nats_url: str
    ) -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "junheng_kit.durables",
            "--nats-url",
            nats_url,
            "list",
            "--stream",
            "ENROLLMENT",
            "--json",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0
        rows = {r["durable"]: r for r in map(json.loads, out.decode().splitlines())}
        row = rows[restored.durable]
        assert row["stream"] == "ENROLLMENT"
        assert row["subjects"] == ["enrollment.school.registered"]
        assert row["pending"] == 0
        assert row["ack_pending"] == 0
        assert row["ack_floor_seq"] == row["delivered_seq"] > 0
