"""The `clock` fixture: a test moves the clock every service reads (junheng_kit.timeutil).

    async def test_a_publicity_cannot_start_yesterday(clock: Clock, client) -> None:
        clock.at("2025-09-30T09:00:00+08:00")  # the clock reads this now and runs on
        ...
        clock.at("2025-10-14T09:00:00+08:00")  # two weeks later
        ...

The test's end puts the clock back. Processes a test starts read `JUNHENG_CLOCK_AT` instead
(with `JUNHENG_ENV=dev` or `test`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest

from junheng_kit.timeutil import china_today, current_shift, restore_clock, set_clock, utcnow


class Clock:
    """The process's clock, as a test moves it."""

    def at(self, instant: datetime | str) -> None:
        """From now on the clock reads `instant` (aware, or ISO 8601 with its offset), running."""
        set_clock(instant)

    def now(self) -> datetime:
        return utcnow()

    def today(self) -> date:
        """Today in China on the moved clock."""
        return china_today()


@pytest.fixture
def clock() -> Iterator[Clock]:
    previous = current_shift()
    yield Clock()
    restore_clock(previous)
