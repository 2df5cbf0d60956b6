"""Group commit: concurrent callers' items handled by one call, one transaction.

A request that writes a few rows spends most of its time on the transaction around them (pool
checkout, BEGIN, a statement per row through the driver's thread, COMMIT), not on the rows.
`Batcher` gathers the items that arrive while the previous batch is being written and hands
them to one `run(items)` together: the first caller after a quiet spell is served at once
(a batch of one), and under load the batch grows by itself to what arrived in the meantime.

`run` returns one outcome per item, in order: a value, or the exception that item's caller
raises (a refused item does not fail the others). An exception raised by `run` itself reaches
every caller of that batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from prometheus_client import Histogram

log = logging.getLogger("junheng.batching")

BATCH_SIZE = Histogram(
    "junheng_batch_items",
    "Items handled together by one group-commit batch",
    ["batch"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Coalesce concurrent `submit(item)` calls into `run([item, …])` calls, one at a time."""

    def __init__(
        self,
        run: Callable[[Sequence[T]], Awaitable[Sequence[R | BaseException]]],
        *,
        max_batch: int = 256,
        name: str = "batch",
        linger: float = 0.0,
    ) -> None:
        """`linger`: seconds the writer waits before it takes each batch, so that more items
        join it — for items nobody waits on (an audit entry written off the answer's path);
        0 (the default) serves the first caller after a quiet spell at once."""
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if linger < 0:
            raise ValueError("linger must not be negative")
        self._run, self.max_batch, self.name, self.linger = run, max_batch, name, linger
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._worker: asyncio.Task[None] | None = None
        self.batches = 0  # how many run() calls, and how many items they took (for tests/metrics)
        self.items = 0

    async def submit(self, item: T) -> R:
        # a caller that goes away (client disconnected) cancels only its future: the item stays
        # in the batch and is written or refused with the others, its answer is dropped
        return await self.put(item)

    def put(self, item: T) -> asyncio.Future[R]:
        """Queue `item` without waiting: the future of its outcome (no task per item)."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain(), name=f"batcher-{self.name}")
        return future

    async def _drain(self) -> None:
        while self._pending:
            if self.linger:
                try:
                    await asyncio.sleep(self.linger)
                except asyncio.CancelledError:  # shutting down: nobody runs these
                    for _, future in self._pending:
                        future.cancel()
                    self._pending.clear()
                    raise
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            items = [item for item, _ in batch]
            self.batches += 1
            self.items += len(items)
            BATCH_SIZE.labels(self.name).observe(len(items))
            try:
                outcomes = await self._run(items)
                if len(outcomes) != len(batch):
                    raise RuntimeError(
                        f"{self.name}: run() gave {len(outcomes)} outcomes for {len(batch)} items"
                    )
            except asyncio.CancelledError:
                for _, future in [*batch, *self._pending]:  # shutting down: nobody runs these
                    future.cancel()
                self._pending.clear()
                raise
            except Exception as error:  # noqa: BLE001 - every caller of the batch hears it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    async def close(self) -> None:
        """Finish what is queued (service shutdown)."""
        if self._worker is not None:
            with contextlib.suppress(Exception):
                await self._worker
