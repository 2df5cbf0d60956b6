"""The clock every service reads, and the seam that lets tests and demos move it.

Read time through this module, never `datetime.now()` / `date.today()`:

- `utcnow()` — now, aware UTC: timestamps of records, leases, heartbeats;
- `china_today()` — today's date in China (UTC+8) on the same clock: deadlines, ages, effective
  dates, the day a 公示 is recorded, defaults of `as_of` / `approved_on`;
- `real_utcnow()` — the machine's time, never shifted: for what another system checks against
  its own clock (the `requested_at` of a signed agency request) and for log lines.

**The seam.** `JUNHENG_CLOCK_AT=<ISO 8601 instant with its offset>`, e.g.
`JUNHENG_CLOCK_AT=2026-11-09T09:00:00+08:00`, makes the clock of a process read that instant when
the process first reads the clock, and run on from there (a fixed shift: durations, leases and
timeouts behave as before). Every process that reads the clock here honours it — a service, an
agency simulator, any helper a test starts — so end-to-end tests pin the "today" of the processes
they start by putting the variable in their environment (`System(assistance_clock_at=…)`), and
`make run` keeps its student-aid demo on a day whose official calendar is known
(`junheng_devtools.system.DEMO_ASSISTANCE_CLOCK_AT`).

**Never in production.** The variable counts only with `JUNHENG_ENV=dev` or `JUNHENG_ENV=test`:

- a service (anything built on `junheng_kit.settings.ServiceSettings`, the gateway too) refuses
  to start with it otherwise — `prod` is the default — with one line naming the variable;
- any other process ignores it outside dev/test and logs `clock.setting_ignored` once;
- a shifted clock logs `clock.shifted` (warning) once per process, with the instant and shift.

**In-process tests** move the clock with `shifted_clock(at)` (a context manager) or the `clock`
fixture of `junheng_kit.testing.plugin` (`junheng_kit.testing.clock`):
`clock.at("2025-09-30T09:00:00+08:00")` — the clock reads that instant and runs on; a later
`clock.at(...)` moves it again; the test's end restores it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
CLOCK_AT_VARIABLE = "JUNHENG_CLOCK_AT"
SHIFTABLE_ENVIRONMENTS = frozenset({"dev", "test"})

log = logging.getLogger("junheng.clock")
_lock = threading.Lock()
_shift: timedelta | None = None  # None until the environment was read (once per process)


def real_utcnow() -> datetime:
    """The machine's time (aware UTC), whatever the seam says."""
    return datetime.now(UTC)


def utcnow() -> datetime:
    """Now (aware UTC) on this process's clock: the machine's, or shifted by the seam."""
    shift = current_shift()
    now = datetime.now(UTC)
    return now + shift if shift else now


def china_today() -> date:
    """Today's date in China (UTC+8): deadlines, ages and effective dates are local dates."""
    return utcnow().astimezone(CHINA).date()


def parse_clock_at(text: str) -> datetime:
    """`JUNHENG_CLOCK_AT` as an aware instant; a date or a time without offset is ambiguous
    (whose midnight?) and refused."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ValueError(
            f"{CLOCK_AT_VARIABLE}={text!r}: an instant with its offset is needed, "
            "e.g. 2026-11-09T09:00:00+08:00"
        )
    return at


def clock_setting_problem(environment: str, value: str | None) -> str | None:
    """Why `JUNHENG_CLOCK_AT=value` may not be used in `environment` (None: it may, or it is
    unset): settings refuse to start a service with it, this module ignores it."""
    if not value:
        return None
    if environment not in SHIFTABLE_ENVIRONMENTS:
        return (
            f"{CLOCK_AT_VARIABLE} moves the clock: only with JUNHENG_ENV=dev or test "
            f"(JUNHENG_ENV={environment})"
        )
    try:
        parse_clock_at(value)
    except ValueError as error:
        return str(error)
    return None


def _shift_from_environment() -> timedelta:
    """Read JUNHENG_CLOCK_AT once: the shift that makes the clock read it now."""
    global _shift
    value = os.environ.get(CLOCK_AT_VARIABLE, "").strip()
    problem = clock_setting_problem(os.environ.get("JUNHENG_ENV", "prod"), value)
    shift = parse_clock_at(value) - datetime.now(UTC) if value and problem is None else None
    with _lock:
        if _shift is not None:  # another thread (or set_clock) was first
            return _shift
        _shift = shift or timedelta(0)
    # logged once the shift is set: a log formatter may read the clock
    if problem is not None:
        log.warning("clock.setting_ignored", extra={"problem": problem})
    elif shift is not None:
        log.warning(
            "clock.shifted",
            extra={
                "clock_at": (datetime.now(UTC) + shift).isoformat(timespec="seconds"),
                "shift_seconds": round(shift.total_seconds()),
                "setting": CLOCK_AT_VARIABLE,
            },
        )
    return _shift if _shift is not None else timedelta(0)


def set_clock(at: datetime | str | None) -> timedelta:
    """Make the clock read `at` now and run on from it (None: the machine's time). Returns
    the shift it replaces, for `restore_clock`. For tests and tools; processes use the
    variable."""
    global _shift
    instant = parse_clock_at(at) if isinstance(at, str) else at
    if instant is not None and instant.tzinfo is None:
        raise ValueError("set_clock needs an aware datetime")
    previous = current_shift()
    with _lock:
        _shift = timedelta(0) if instant is None else instant - datetime.now(UTC)
    return previous


def current_shift() -> timedelta:
    """How far this process's clock is from the machine's (zero unless shifted); the first
    call reads JUNHENG_CLOCK_AT, so a service calls it at start-up to log a shift at once."""
    return _shift if _shift is not None else _shift_from_environment()


def restore_clock(shift: timedelta) -> None:
    global _shift
    with _lock:
        _shift = shift


@contextmanager
def shifted_clock(at: datetime | str) -> Iterator[None]:
    """Within the block the clock reads `at` at entry and runs on; restored afterwards."""
    previous = set_clock(at)
    try:
        yield
    finally:
        restore_clock(previous)


def whole_months(start: date, end: date) -> int:
    """Completed calendar months from `start` to `end` (0 when `end` precedes `start`).

    2024-09-01 → 2025-08-31 is 11 months; → 2025-09-01 is 12.
    """
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    return max(months, 0)
