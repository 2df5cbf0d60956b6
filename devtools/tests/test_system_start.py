"""A system whose start fails leaves nothing running: what did start is stopped again (a test
fixture's teardown never runs when its start raised)."""

from pathlib import Path

import pytest
from junheng_devtools.system import System

from junheng_kit.processes import free_port


def test_a_failed_start_stops_every_process_it_started(tmp_path: Path) -> None:
    system = System(
        var=tmp_path,
        gateway_port=free_port(),
        agencies=(),
        ready_timeout=120,
        extra_env={"ENROLLMENT_DB_POOL_SIZE": "0"},  # enrollment refuses its settings and exits
    )
    with pytest.raises(RuntimeError, match="enrollment exited"):
        system.start()
    started = [p for p in system.processes.values() if p.process is not None]
    assert started  # the others had been started …
    assert all(p.process is not None and p.process.poll() is not None for p in started)
    assert system.nats is not None
    assert system.nats.process is not None
    assert system.nats.process.poll() is not None  # … and nats-server too: all stopped
