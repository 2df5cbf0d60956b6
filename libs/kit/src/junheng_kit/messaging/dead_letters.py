"""Dead letters waiting for an operator: a gauge per durable and a readiness check.

The depth is read from JetStream, not counted in the process: one `STREAM.INFO` of the DLQ
stream filtered to `dlq.<service>.*` gives the stored letters per subject, i.e. per durable of
this service. Every replica therefore reports the same numbers, a restart forgets nothing, and a
replay or purge (`python -m junheng_kit.dlq`) lowers them. One request per refresh interval and
replica, however many durables, scrapes or probes there are: scrapes and `/readyz` read the last
refresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from fastapi import FastAPI
from nats.js import JetStreamContext
from prometheus_client import Gauge

from junheng_kit.messaging.connection import DLQ_STREAM, dead_letter_subject
from junheng_kit.readiness import Readiness

log = logging.getLogger("junheng.dead_letters")

DEAD_LETTERS = Gauge(
    "junheng_dead_letters",
    "Dead letters stored in the DLQ stream for this consumer (dlq.<service>.<durable>), read "
    "from JetStream: the same in every replica",
    ["durable"],
)


class DeadLetterDepth:
    """How many dead letters each of a service's durables has in the DLQ stream, refreshed every
    `refresh_seconds` into `DEAD_LETTERS` and `depth` (None until read, or when the last read
    failed: the gauge then keeps its last value)."""

    def __init__(
        self,
        js: JetStreamContext,
        service: str,
        durables: Sequence[str],
        *,
        refresh_seconds: float = 5.0,
    ) -> None:
        self.js, self.service, self.durables = js, service, list(durables)
        self.refresh_seconds = refresh_seconds
        self.depth: dict[str, int] | None = None
        self.failure: str | None = None
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> dict[str, int]:
        info = await self.js.stream_info(DLQ_STREAM, subjects_filter=f"dlq.{self.service}.*")
        stored = info.state.subjects or {}
        depth = {d: stored.get(dead_letter_subject(self.service, d), 0) for d in self.durables}
        for durable, count in depth.items():
            DEAD_LETTERS.labels(durable).set(count)
        self.depth, self.failure = depth, None
        return depth

    async def start(self) -> None:
        """Read once (so the first probe knows), then keep reading in the background."""
        await self._refresh_or_log()
        self._task = asyncio.create_task(self._run(), name="dead-letter-depth")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_seconds)
            await self._refresh_or_log()

    async def _refresh_or_log(self) -> None:
        try:
            await self.refresh()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the refresh boundary: NATS away; the next pass retries
            self.depth, self.failure = None, type(exc).__name__
            log.warning("dead_letters.depth_unknown", extra={"error": self.failure}, exc_info=True)

    async def readiness(self, app: FastAPI) -> Readiness:
        """`ok`; or `degraded` with each durable that has letters and how many (or `unknown`
        while the DLQ stream cannot be read) — never `failed`: letters need an operator, not
        a replica taken out of load balancing."""
        if self.depth is None:
            return Readiness("degraded", f"unknown: {self.failure or 'not read yet'}")
        waiting = {durable: count for durable, count in self.depth.items() if count}
        return Readiness("degraded", waiting) if waiting else Readiness("ok")
