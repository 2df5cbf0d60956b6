"""A process whose NATS is unreachable at start-up serves /healthz, is not ready, and stops at
once on SIGTERM (it used to block in its connect loop until killed)."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from junheng_kit.processes import free_port

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("name", ["staffing", "gateway"])
def test_without_nats_a_process_answers_health_and_stops_on_sigterm(
    name: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "JUNHENG_ENV": "dev",
        "JUNHENG_NATS_URL": f"nats://127.0.0.1:{free_port()}",  # nobody listens there
        f"{name.upper()}_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}",
    }
    if name == "gateway":
        env |= {"JUNHENG_GATEWAY_PORT": str(port), "GATEWAY_SIGNING_KEY_FILE": str(tmp_path / "k")}
    else:
        env[f"{name.upper()}_HTTP_PORT"] = str(port)
    subprocess.run([sys.executable, "-m", name, "migrate"], env=env, cwd=tmp_path, check=True)
    with (tmp_path / "process.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", name, "serve"], env=env, cwd=tmp_path, stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                assert process.poll() is None, (tmp_path / "process.log").read_text()
                assert time.monotonic() < deadline, "no /healthz"
                time.sleep(0.2)
        assert health.status_code == 200
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert ready.status_code == 503
        assert ready.json()["checks"]["nats"] == "failed"
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)  # raises if it hangs
        # a clean shutdown (uvicorn then re-raises the signal: -15 is its usual exit)
        assert process.returncode in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in (tmp_path / "process.log").read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
