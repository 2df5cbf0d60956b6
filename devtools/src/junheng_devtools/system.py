"""The whole system as local processes: `make run`, the end-to-end tests and the benchmarks.

Starts nats-server (JetStream, store under `var/`), migrates and starts the four services and the
gateway as separate processes, registers a client, optionally loads a demo county through the
gateway, and stops everything on Ctrl-C.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from junheng_kit import fieldcrypt, natsauth
from junheng_kit.crypto_profile import profile
from junheng_kit.migrations import service_dir
from junheng_kit.natsauth import TlsFiles
from junheng_kit.processes import NatsServer, free_port
from junheng_kit.settings import GATEWAY_PORT
from junheng_kit.signing import Signer, ensure_private_key

SERVICES = ("enrollment", "staffing", "assistance", "evaluation")
# the services whose tables hold fields encrypted at rest, each with its own keys
ENCRYPTING = ("enrollment", "staffing", "assistance")
PII_SCOPES = ["assistance:pii", "enrollment:pii", "staffing:pii"]
ALL_SCOPES = [f"{s}:{a}" for s in SERVICES for a in ("read", "write")] + PII_SCOPES
# partner agencies' systems, simulated (simulators/): 民政, 残联, 乡村振兴, 农牧
AGENCIES = ("mca", "cdpf", "nrra", "moa")
DEFAULT_AGENCY_PORTS = {"mca": 8201, "cdpf": 8202, "nrra": 8203, "moa": 8204}
# the enrollment sources, simulated: 公安 户籍, 公安 居住证, 不动产登记, 人社 社保 (issue 22)
FACT_AGENCIES = ("hukou", "permit", "estate", "social")
DEFAULT_FACT_AGENCY_PORTS = {"hukou": 8211, "permit": 8212, "estate": 8213, "social": 8214}
# `make run`'s student-aid demo lives on this day (a Monday of the 2026–27 school year the demo
# roster is made for, in a year whose official holiday calendar is seeded), whatever the real
# date: a 公示 may start on it, end five working days later and be approved after — also in
# years whose State Council calendar is not loaded yet. JUNHENG_CLOCK_AT picks another instant;
# JUNHENG_CLOCK_AT= (empty) the machine's clock.
DEMO_ASSISTANCE_CLOCK_AT = "2026-11-09T09:00:00+08:00"


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    command: list[str] | None = None  # default: `python -m <name> serve`
    ready_path: str = "/readyz"

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command or [sys.executable, "-m", self.name, "serve"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{tail}")
            try:
                url = f"http://127.0.0.1:{self.port}{self.ready_path}"
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready on port {self.port} after {timeout}s")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


@dataclass
class System:
    var: Path
    gateway_port: int = GATEWAY_PORT
    nats_port: int = 0
    ports: dict[str, int] = field(default_factory=dict)
    database_urls: dict[str, str] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    # the simulated partner agencies assistance talks to (none: assistance has no agencies)
    agencies: tuple[str, ...] = AGENCIES
    # the simulated sources enrollment checks facts with (empty: clerks check every document);
    # None: the four when partner agencies are simulated (`agencies`), none when they are not
    fact_agencies: tuple[str, ...] | None = None
    agency_ports: dict[str, int] = field(default_factory=dict)  # aid and fact agencies' ports
    agency_region: str = "150602"
    agency_registry: Path | None = None  # CSV of people the simulators may hold (demo roster)
    nats: NatsServer | None = None
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    # seconds each process may take to become ready (imports are slow on a busy machine)
    ready_timeout: float = 60
    # NATS as production runs it: an nkey identity and subject permissions per process, TLS
    # (identities under var/nats-auth/, certificates under var/nats-tls/)
    secure: bool = True
    # JUNHENG_CLOCK_AT of the assistance service and the agency simulators (junheng_kit.timeutil;
    # they run with JUNHENG_ENV=dev): the instant their clock reads at start, then runs on from.
    # None: the machine's clock. The other services keep the machine's.
    assistance_clock_at: str | None = None

    def __post_init__(self) -> None:
        if self.fact_agencies is None:
            self.fact_agencies = FACT_AGENCIES if self.agencies else ()

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def service_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.processes[name].port}"

    @property
    def nats_auth_dir(self) -> Path:
        return self.var / "nats-auth"

    @property
    def nats_tls(self) -> TlsFiles:
        return TlsFiles.in_dir(self.var / "nats-tls")

    def nats_options(self, role: str = natsauth.OPERATOR) -> dict[str, Any]:
        """Keyword arguments of `junheng_kit.messaging.connection.connect` for `role` (tests
        and tools: the operator identity may do everything)."""
        if not self.secure:
            return {}
        return {
            "seed_file": natsauth.seed_file(self.nats_auth_dir, role),
            "ca_file": self.nats_tls.ca,
        }

    def nats_env(self, role: str) -> dict[str, str]:
        options = self.nats_options(role)
        if not options:
            return {}
        return {
            "JUNHENG_NATS_NKEY_SEED_FILE": str(options["seed_file"]),
            "JUNHENG_NATS_CA_FILE": str(options["ca_file"]),
        }

    def field_key_env(self, name: str) -> dict[str, str]:
        """The service's own field keyring and blind-index key (junheng_kit.fieldcrypt), made
        once under var/field-keys/ as an operator would mount them. A keyring made for the other
        profile gets a new first key of this profile's size: values stored under the old one stay
        readable (the reencrypt job moves them)."""
        folder = self.var / "field-keys"
        folder.mkdir(parents=True, exist_ok=True)
        keys, index = folder / f"{name}.keys", folder / f"{name}.index"
        ring = keys.read_text().split() if keys.exists() else []
        if not ring or len(fieldcrypt.parse_keys(ring[0])[0][ring[0].split("=")[0]]) != (
            profile().key_bytes
        ):
            ring.insert(0, fieldcrypt.new_key(f"k{len(ring) + 1}"))
            _write_secret(keys, "\n".join(ring) + "\n")
        if not index.exists():
            _write_secret(index, fieldcrypt.new_index_key() + "\n")
        prefix = name.upper()
        return {f"{prefix}_FIELD_KEYS": f"@{keys}", f"{prefix}_BLIND_INDEX_KEY": f"@{index}"}

    def trust_root(self) -> Signer:
        """The local stand-in for the operator's offline root (var/trust-root.pem)."""
        return ensure_private_key(self.var / "trust-root.pem")

    def _env(self, name: str, port: int) -> dict[str, str]:
        prefix = name.upper()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("JUNHENG_", *(f"{s.upper()}_" for s in (*SERVICES, "gateway"))))
        }
        env.update(
            {
                "JUNHENG_ENV": "dev",
                "JUNHENG_NATS_URL": self.nats.url if self.nats else "",
                f"{prefix}_DATABASE_URL": self.database_urls.get(
                    name, f"sqlite+aiosqlite:///{self.var / (name + '.sqlite3')}"
                ),
                "PYTHONUNBUFFERED": "1",
                # the launcher's profile (JUNHENG_CRYPTO_PROFILE): keys made here are its kind
                "JUNHENG_CRYPTO_PROFILE": profile().name,
                **self.nats_env(name),
            }
        )
        if name in ENCRYPTING:
            env.update(self.field_key_env(name))
        if name == "assistance" and self.assistance_clock_at:
            env["JUNHENG_CLOCK_AT"] = self.assistance_clock_at
        if name == "assistance" and self.agencies:
            env["ASSISTANCE_AGENCIES_FILE"] = str(self.var / "agencies.json")
            env["ASSISTANCE_AGENCY_SIGNING_KEY_FILE"] = str(self.var / "assistance-agency-key.pem")
        if name == "enrollment" and self.fact_agencies:
            env["ENROLLMENT_FACT_AGENCIES_FILE"] = str(self.var / "fact-agencies.json")
            env["ENROLLMENT_FACT_SIGNING_KEY_FILE"] = str(self.var / "enrollment-agency-key.pem")
        if self.secure:  # signing keys trusted only with the root's certificate
            env["JUNHENG_TRUST_ROOT_KEYS"] = self.trust_root().public_key_text
        if name == "gateway":
            env["JUNHENG_GATEWAY_PORT"] = str(port)
            env["GATEWAY_SIGNING_KEY_FILE"] = str(self.var / "gateway-signing-key.pem")
            # this machine may receive webhooks (a receiver on loopback, as an integrator tries
            # them); a deployment opens no private network unless it lists it
            env["GATEWAY_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8,::1/128"
            if self.secure:  # dev: the gateway certifies its keys with the local root
                env["GATEWAY_TRUST_ROOT_KEY_FILE"] = str(self.var / "trust-root.pem")
                env["GATEWAY_KEY_CERTIFICATES_FILE"] = str(
                    self.var / "gateway-key-certificates.json"
                )
        else:
            env[f"{prefix}_HTTP_PORT"] = str(port)
        env.update(self.extra_env)
        return env

    def start(self) -> System:
        """Everything started and ready; on any failure what did start is stopped again (no
        process outlives a start that raised)."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self.var.mkdir(parents=True, exist_ok=True)
        auth, tls = None, None
        if self.secure:
            auth = natsauth.init(self.nats_auth_dir)
            tls = natsauth.ensure_tls(self.nats_tls.ca.parent, ["127.0.0.1", "localhost"])
        self.nats = NatsServer(self.var / "nats", port=self.nats_port, auth=auth, tls=tls).start()
        self._agency_processes()
        names = [*SERVICES, "gateway"]
        for name in names:
            port = self.gateway_port if name == "gateway" else self.ports.get(name) or free_port()
            self.processes[name] = ServiceProcess(
                name, port, self._env(name, port), self.var / "logs" / f"{name}.log"
            )
        self._migrate_and_start()

    def _migrate_and_start(self) -> None:
        """Migrate every service's database (one process, the gateway's environment with each
        service's database URL), then start every process and wait until all are ready."""
        migrate_env = dict(self.processes["gateway"].env)
        for name in SERVICES:
            key = f"{name.upper()}_DATABASE_URL"
            migrate_env[key] = self.processes[name].env[key]
            for setting in ("FIELD_KEYS", "BLIND_INDEX_KEY"):  # its migrations encrypt rows
                key = f"{name.upper()}_{setting}"
                if key in self.processes[name].env:
                    migrate_env[key] = self.processes[name].env[key]
        done = subprocess.run(
            [sys.executable, "-m", "junheng_devtools.system", "migrate"],
            env=migrate_env,
            capture_output=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"migrate failed:\n{done.stdout.decode(errors='replace')}"
                f"{done.stderr.decode(errors='replace')}"
            )
        for process in self.processes.values():
            process.start()
        for process in self.processes.values():
            process.wait_ready(self.ready_timeout)

    def agency_url(self, code: str) -> str:
        return f"http://127.0.0.1:{self.processes[f'agency-{code}'].port}"

    def _agency_processes(self) -> None:
        """One simulator process per partner agency, and the agencies files the services read
        (URLs and public keys; the keys are made on first use under var/agencies/): the aid
        agencies for assistance (agencies.json), the enrollment sources for enrollment
        (fact-agencies.json)."""
        groups = (
            (self.agencies, "agencies.json", "assistance-agency-key.pem"),
            (self.fact_agencies, "fact-agencies.json", "enrollment-agency-key.pem"),
        )
        for codes, out, bureau_key in groups:
            if codes:
                self._agency_group(codes, out, bureau_key)

    def _agency_group(self, codes: tuple[str, ...], out: str, bureau_key: str) -> None:
        ports = {code: self.agency_ports.get(code) or free_port() for code in codes}
        keys = self.var / "agencies"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "agency_sim",
                "config",
                "--key-dir",
                str(keys),
                *[f"--agency={code}=http://127.0.0.1:{port}" for code, port in ports.items()],
                "--out",
                str(self.var / out),
            ],
            capture_output=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(f"agency config failed:\n{done.stderr.decode(errors='replace')}")
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUNHENG_")}
        env["JUNHENG_CRYPTO_PROFILE"] = profile().name  # agencies sign as the bureau verifies
        if self.assistance_clock_at:  # the agencies' "today" is the bureau's
            env |= {"JUNHENG_ENV": "dev", "JUNHENG_CLOCK_AT": self.assistance_clock_at}
        for code, port in ports.items():
            command = [
                sys.executable,
                "-m",
                "agency_sim",
                "--agency",
                code,
                "--port",
                str(port),
                "--region",
                self.agency_region,
                "--key-file",
                str(keys / f"{code}.pem"),
                "--trust-key-file",
                str(self.var / bureau_key),
            ]
            if self.agency_registry is not None:
                # each aid agency holds ~4 % of the listed pupils: ~15 % of a county in one list
                # or more; every listed pupil has a household record at the enrollment sources
                command += ["--registry", str(self.agency_registry), "--share", "0.04"]
            name = f"agency-{code}"
            self.processes[name] = ServiceProcess(
                name,
                port,
                env,
                self.var / "logs" / f"{name}.log",
                command=command,
                ready_path="/healthz",
            )

    def restart(self, name: str) -> None:
        self.processes[name].stop()
        self.processes[name].start()
        self.processes[name].wait_ready(self.ready_timeout)

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()
        if self.nats:
            self.nats.stop()

    def register_client(
        self, *, name: str, scopes: list[str], jurisdiction: list[str], json_out: Path | None = None
    ) -> dict[str, Any]:
        command = [
            sys.executable,
            "-m",
            "gateway",
            "register-client",
            "--name",
            name,
            "--scopes",
            " ".join(scopes),
            "--jurisdiction",
            " ".join(jurisdiction),
        ]
        if json_out:
            command += ["--json-out", str(json_out)]
        done = subprocess.run(
            command, env=self.processes["gateway"].env, check=True, capture_output=True
        )
        return dict(json.loads(done.stdout))

    def token(self, credentials: dict[str, Any]) -> str:
        response = httpx.post(
            f"{self.gateway_url}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": credentials["client_id"],
                "client_secret": credentials["client_secret"],
            },
            timeout=10,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


def wait_while_running(system: System, logs: str) -> None:
    """Until Ctrl-C (KeyboardInterrupt) or until one of the processes exits."""
    while all(
        p.process is not None and p.process.poll() is None for p in system.processes.values()
    ):
        time.sleep(0.5)
    print(f"a process exited; see {logs}. Stopping.", flush=True)


def _write_secret(path: Path, text: str) -> None:
    """Write a key file readable by its owner only (replacing an older one)."""
    temporary = path.with_suffix(path.suffix + ".new")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    temporary.replace(path)


def migrate_all() -> None:
    """Upgrade every service database and the gateway's, one process (imports happen once)."""
    from junheng_kit.migrations import upgrade

    for name in (*SERVICES, "gateway"):
        default = f"sqlite+aiosqlite:///var/{name}.sqlite3"
        upgrade(service_dir(name), os.environ.get(f"{name.upper()}_DATABASE_URL", default))


if __name__ == "__main__":
    if sys.argv[1:2] == ["migrate"]:  # the one-process migration System starts
        migrate_all()
    else:  # the older spelling of `make run`
        from junheng_devtools.make_run import run

        run()
