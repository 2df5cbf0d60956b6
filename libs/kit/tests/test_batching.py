"""Group commit: concurrent items share `run` calls; each caller gets its own outcome."""

import asyncio
from collections.abc import Sequence

import pytest

from junheng_kit.batching import Batcher


class Refused(Exception):
    pass


def recorder(delay: float = 0.01) -> tuple[list[list[int]], Batcher[int, int]]:
    calls: list[list[int]] = []

    async def run(items: Sequence[int]) -> list[int | BaseException]:
        calls.append(list(items))
        await asyncio.sleep(delay)  # the transaction: more callers arrive meanwhile
        return [Refused(f"odd {i}") if i % 2 else i * 10 for i in items]

    return calls, Batcher(run, max_batch=8, name="test")


async def test_a_lone_caller_is_served_at_once_in_a_batch_of_one() -> None:
    calls, batcher = recorder()
    assert await batcher.submit(4) == 40
    assert calls == [[4]]


async def test_callers_arriving_during_a_batch_share_the_next_one_in_arrival_order() -> None:
    calls, batcher = recorder()
    first = asyncio.create_task(batcher.submit(0))
    await asyncio.sleep(0)  # the first batch [0] starts
    rest = [asyncio.create_task(batcher.submit(i)) for i in (2, 4, 6)]
    assert await asyncio.gather(first, *rest) == [0, 20, 40, 60]
    assert calls == [[0], [2, 4, 6]]
    assert (batcher.batches, batcher.items) == (2, 4)


async def test_a_refused_item_fails_only_its_own_caller() -> None:
    calls, batcher = recorder()
    outcomes = await asyncio.gather(*(batcher.submit(i) for i in range(4)), return_exceptions=True)
    assert outcomes[0] == 0
    assert outcomes[2] == 20
    assert isinstance(outcomes[1], Refused)
    assert str(outcomes[1]) == "odd 1"
    assert isinstance(outcomes[3], Refused)
    assert str(outcomes[3]) == "odd 3"
    assert sum(len(c) for c in calls) == 4


async def test_batches_never_exceed_max_batch() -> None:
    calls, batcher = recorder()
    values = [2 * i for i in range(30)]
    assert await asyncio.gather(*(batcher.submit(v) for v in values)) == [v * 10 for v in values]
    assert max(len(c) for c in calls) == 8
    assert [i for c in calls for i in c] == values  # each item once, in order


async def test_a_failing_run_reaches_every_caller_of_that_batch_and_the_next_batch_runs() -> None:
    attempts: list[list[int]] = []

    async def run(items: Sequence[int]) -> list[int | BaseException]:
        attempts.append(list(items))
        if len(attempts) == 1:
            await asyncio.sleep(0.01)
            raise RuntimeError("database gone")
        return list(items)

    batcher: Batcher[int, int] = Batcher(run)
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)
    later = asyncio.create_task(batcher.submit(2))
    with pytest.raises(RuntimeError, match="database gone"):
        await first
    assert await later == 2
    assert attempts == [[1], [2]]


async def test_a_caller_that_goes_away_does_not_stop_its_item() -> None:
    done: list[int] = []

    async def run(items: Sequence[int]) -> list[int | BaseException]:
        await asyncio.sleep(0.02)
        done.extend(items)
        return list(items)

    batcher: Batcher[int, int] = Batcher(run)
    impatient = asyncio.create_task(batcher.submit(7))
    await asyncio.sleep(0.005)
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    assert await batcher.submit(8) == 8
    assert done == [7, 8]


async def test_run_must_give_one_outcome_per_item() -> None:
    async def run(items: Sequence[int]) -> list[int | BaseException]:
        return []

    batcher: Batcher[int, int] = Batcher(run)
    with pytest.raises(RuntimeError, match="0 outcomes for 1 items"):
        await batcher.submit(1)


async def test_with_a_linger_items_queued_without_waiting_share_one_batch() -> None:
    calls: list[list[int]] = []

    async def run(items: Sequence[int]) -> list[int | BaseException]:
        calls.append(list(items))
        return [i * 10 for i in items]

    batcher = Batcher(run, name="test", linger=0.05)
    futures = []
    for i in range(5):  # one at a time, each on its own turn of the loop, within the linger
        futures.append(batcher.put(i))
        await asyncio.sleep(0.001)
    assert not any(f.done() for f in futures)  # queued: nothing written before the linger ends
    assert await asyncio.gather(*futures) == [0, 10, 20, 30, 40]
    assert calls == [[0, 1, 2, 3, 4]]


async def test_closing_during_a_linger_cancels_what_is_queued() -> None:
    batcher = Batcher(lambda items: asyncio.sleep(0, [0] * len(items)), name="test", linger=10)
    queued = batcher.put(1)
    await asyncio.sleep(0)
    assert batcher._worker is not None
    batcher._worker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await batcher._worker
    assert queued.cancelled()
    with pytest.raises(ValueError, match="linger"):
        Batcher(lambda items: asyncio.sleep(0, []), linger=-1)
