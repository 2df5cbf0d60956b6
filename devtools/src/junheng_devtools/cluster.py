"""The production topology on one machine, as plain processes: `make cluster` and tests/cluster.

What deploy/ runs, with the same settings a province uses (`JUNHENG_ENV=prod`):
- PostgreSQL with a role and a database per service and the gateway, created by deploy/'s own
  init script (connection limits included), crash-safe commits;
- a 3-node NATS JetStream cluster: an nkey identity and subject permissions per process, TLS on
  client and route connections (routes verify each other), monitoring on loopback;
- the migrations, then two replicas of each service and two gateways, every process with its
  own identity, all three NATS URLs, streams of 3 replicas, its pool sized for its role;
- the operator's steps done as an operator would: a trust root, the gateway's signing key
  certified by it, secrets generated once under `var/cluster/`.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from junheng_devtools.demo import load_demo
from junheng_devtools.system import (
    DEFAULT_AGENCY_PORTS,
    SERVICES,
    ServiceProcess,
    System,
    wait_while_running,
)
from junheng_kit import natsauth
from junheng_kit.processes import NatsServer, PostgresCluster, free_port
from junheng_kit.settings import GATEWAY_PORT
from junheng_kit.signing import ensure_private_key
from junheng_kit.tokens import TokenSigner
from junheng_kit.trust import add_certificate, certify, read_certificates

ROLES = (*SERVICES, "gateway")
POOL_SIZE, POOL_OVERFLOW = 4, 4  # per replica: 2 replicas × 8 = 16 of a role's limit
NATS_PORT_KINDS = ("client", "cluster", "monitor")
NATS_START_ATTEMPTS = 3


def _wait_for_meta_leader(nodes: list[NatsServer], timeout: float = 60) -> None:
    """Until every node is alive, routed to the other two, and agrees on a JetStream metadata
    leader (read from each node's loopback monitoring endpoint, `/jsz`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for node in nodes:
            if node.process is None or node.process.poll() is not None:
                raise RuntimeError(f"{node.name} exited: {node.log.read_text()[-1000:]}")
        try:
            leaders = {
                httpx.get(f"http://127.0.0.1:{node.monitor_port}/jsz", timeout=2)
                .json()
                .get("meta_cluster", {})
                .get("leader")
                for node in nodes
            }
        except (httpx.HTTPError, ValueError):
            leaders = set()
        if len(leaders) == 1 and None not in leaders and "" not in leaders:
            return
        time.sleep(0.2)
    raise TimeoutError(f"no JetStream metadata leader agreed by all nodes within {timeout}s")


@dataclass
class Cluster(System):
    """The production topology; `processes` holds `<name>` and `<name>-2` for each service and
    the gateway. `gateway_url` is the first gateway, `gateway_urls` both."""

    replicas: int = 2
    nats_nodes: list[NatsServer] = field(default_factory=list)
    postgres: PostgresCluster | None = None
    second_gateway_port: int = 0
    # a load balancer in front of both gateways, when there is one (tests/cluster)
    front_url: str | None = None

    @property
    def gateway_url(self) -> str:
        return self.front_url or f"http://127.0.0.1:{self.gateway_port}"

    @property
    def gateway_urls(self) -> list[str]:
        ports = [self.gateway_port, self.second_gateway_port]
        return [f"http://127.0.0.1:{p}" for p in ports]

    @property
    def nats_urls(self) -> list[str]:
        return [node.url for node in self.nats_nodes]

    def replica_names(self, name: str) -> list[str]:
        return [name] + [f"{name}-{n}" for n in range(2, self.replicas + 1)]

    # --- the operator's preparation -------------------------------------------------------

    def _secrets(self) -> dict[str, str]:
        """Secrets as a vault would hold them: generated once, kept under var/cluster/."""
        path = self.var / "secrets.json"
        if path.exists():
            return dict(json.loads(path.read_text()))
        values = {f"{role.upper()}_SECRET_KEY": secrets.token_urlsafe(32) for role in ROLES}
        values["JUNHENG_PSEUDONYM_KEY"] = secrets.token_urlsafe(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(values, file)
        return values

    def _signing_key(self) -> Path:
        """The gateway's provisioned signing key, certified by the offline root."""
        key = self.var / "gateway-signing-key.pem"
        if not key.exists():
            signer = TokenSigner.generate(issuer="junheng-gateway", audience="junheng")
            descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(signer.private_pem())
        signer = TokenSigner.from_pem(key.read_bytes(), issuer="i", audience="a")
        certificates = self.var / "gateway-key-certificates.json"
        if not any(c.get("kid") == signer.kid for c in read_certificates(certificates)):
            add_certificate(certificates, certify(self.trust_root(), signer.public_jwk, days=365))
        return key

    def _postgres(self) -> PostgresCluster:
        cluster = PostgresCluster(self.var / "postgres", crash_safe=True).start()
        marker = self.var / "postgres" / "roles-created"
        if not marker.exists():
            script = Path(__file__).resolve().parents[3] / "deploy/compose/postgres-init"
            env = {
                **os.environ,
                "PATH": f"{cluster.bin}:{os.environ.get('PATH', '')}",
                "PGHOST": "127.0.0.1",
                "PGPORT": str(cluster.port),
                "POSTGRES_USER": "postgres",
                **{f"{role.upper()}_DB_PASSWORD": secrets.token_urlsafe(16) for role in ROLES},
            }
            for step in sorted(script.glob("*.sh")):
                subprocess.run(["sh", str(step)], env=env, check=True, capture_output=True)
            marker.write_text("")
        return cluster

    def _nats(self, tls: natsauth.TlsFiles, auth: Path) -> list[NatsServer]:
        """Three nodes that have formed one JetStream cluster. Ports are picked free, then bound
        by nats-server a moment later: another process may take one in between (the node exits
        with "address already in use", or never joins). The nodes are then stopped and started
        again on fresh ports — their JetStream state is kept under their names, not ports."""
        ports_file = self.var / "nats-ports.json"
        for attempt in range(NATS_START_ATTEMPTS):
            if attempt or not ports_file.exists():
                ports = {kind: [free_port() for _ in range(3)] for kind in NATS_PORT_KINDS}
                ports_file.write_text(json.dumps(ports))
            ports = json.loads(ports_file.read_text())
            nodes = [
                NatsServer(
                    self.var / f"nats-{n}",
                    port=ports["client"][n],
                    auth=auth,
                    tls=tls,
                    name=f"nats-{n}",
                    cluster_port=ports["cluster"][n],
                    routes=[p for m, p in enumerate(ports["cluster"]) if m != n],
                    monitor_port=ports["monitor"][n],
                )
                for n in range(3)
            ]
            for node in nodes:
                node.start(wait=False)
            try:
                for node in nodes:
                    node.wait_ready()
                _wait_for_meta_leader(nodes)
                return nodes
            except (RuntimeError, TimeoutError) as failure:
                for node in nodes:
                    node.stop()
                if attempt == NATS_START_ATTEMPTS - 1:
                    raise RuntimeError(
                        f"the NATS cluster did not form in {NATS_START_ATTEMPTS} attempts"
                    ) from failure
        raise AssertionError("unreachable")

    # --- processes --------------------------------------------------------------------------

    def _cluster_env(self, role: str, port: int, values: dict[str, str]) -> dict[str, str]:
        env = self._env(role, port)
        prefix = role.upper()
        assert self.postgres is not None
        env.update(
            {
                "JUNHENG_ENV": "prod",
                "JUNHENG_NATS_URL": ",".join(self.nats_urls),
                "JUNHENG_STREAM_REPLICAS": "3",
                "JUNHENG_PSEUDONYM_KEY": values["JUNHENG_PSEUDONYM_KEY"],
                f"{prefix}_SECRET_KEY": values[f"{prefix}_SECRET_KEY"],
                f"{prefix}_DATABASE_URL": (
                    f"postgresql+asyncpg://{role}@127.0.0.1:{self.postgres.port}/{role}"
                ),
                f"{prefix}_REPLICAS": str(self.replicas),
                f"{prefix}_DB_POOL_SIZE": str(POOL_SIZE),
                f"{prefix}_DB_MAX_OVERFLOW": str(POOL_OVERFLOW),
            }
        )
        if role == "assistance" and self.assistance_clock_at:
            # a moved clock (the demo's aid calendar) is refused in prod: these replicas run as
            # JUNHENG_ENV=test, with every production setting above unchanged
            env["JUNHENG_ENV"] = "test"
        if role == "gateway":
            env["GATEWAY_SIGNING_KEY_FILE"] = str(self._signing_key())
            env.pop("GATEWAY_TRUST_ROOT_KEY_FILE", None)  # the root stays offline
            env.pop("GATEWAY_WEBHOOK_ALLOWED_NETWORKS", None)  # production: public receivers
        env.update(self.extra_env)
        return env

    def _start(self) -> None:
        self.var.mkdir(parents=True, exist_ok=True)
        self.secure = True
        values = self._secrets()
        auth = natsauth.init(self.nats_auth_dir)
        tls = natsauth.ensure_tls(self.nats_tls.ca.parent, ["127.0.0.1", "localhost"])
        self.postgres = self._postgres()
        self.nats_nodes = self._nats(tls, auth)
        self.nats = self.nats_nodes[0]
        ensure_private_key(self.var / "assistance-agency-key.pem")  # provisioned, as in deploy/
        ensure_private_key(self.var / "enrollment-agency-key.pem")
        self._agency_processes()
        self.second_gateway_port = self.second_gateway_port or free_port()
        for role in ROLES:
            for index, name in enumerate(self.replica_names(role)):
                if role == "gateway":
                    port = self.gateway_port if index == 0 else self.second_gateway_port
                else:
                    port = free_port()
                self.processes[name] = ServiceProcess(
                    name,
                    port,
                    self._cluster_env(role, port, values),
                    self.var / "logs" / f"{name}.log",
                    command=[sys.executable, "-m", role, "serve"],
                )
        self._migrate_and_start()  # the first replica's database URL: the same for all

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()
        for node in self.nats_nodes:
            node.stop()
        if self.postgres is not None:
            self.postgres.stop()

    def stream_leader(self, stream: str) -> NatsServer:
        """The node that leads `stream` now (its monitoring endpoint says so)."""
        import httpx

        for node in self.nats_nodes:
            url = f"http://127.0.0.1:{node.monitor_port}/jsz?streams=true"
            try:
                data = httpx.get(url, timeout=2).json()
            except httpx.HTTPError:
                continue
            for account in data.get("account_details", []):
                for detail in account.get("stream_detail", []):
                    cluster = detail.get("cluster", {})
                    if detail.get("name") == stream and cluster.get("leader") == node.name:
                        return node
        raise LookupError(f"no leader of {stream} found")


def _banner(cluster: Cluster, credentials: dict[str, Any], students: int, year: int) -> str:
    first, second = cluster.gateway_urls
    nodes = ", ".join(cluster.nats_urls)
    assert cluster.postgres is not None
    return f"""
Junheng (均衡) runs in the production topology — demo county {credentials["jurisdiction"][0]}.

  Gateways       {first}   {second}      (JUNHENG_ENV=prod, two replicas)
  Services       enrollment, staffing, assistance, evaluation: two replicas each, over NATS
  NATS           3-node JetStream cluster, TLS, an nkey per process: {nodes}
                 (CA var/cluster/nats-tls/ca.pem; identities var/cluster/nats-auth/)
  PostgreSQL     127.0.0.1:{cluster.postgres.port}, a role and a database per service
  Demo client    var/cluster/demo-client.json
  Logs           var/cluster/logs/<process>.log

Try it through either gateway:
  TOKEN=$(curl -s -X POST {first}/oauth/token -d grant_type=client_credentials \\
      -d client_id={credentials["client_id"]} -d client_secret={credentials["client_secret"]} \\
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s -H "Authorization: Bearer $TOKEN" {second}/enrollment/v1/schools
  curl -s -H "Authorization: Bearer $TOKEN" "{second}/assistance/v1/coverage?county_code=150602\
&school_year={year}"

The {students} demo pupils, twelve schools, resource data and the {year} intake are loaded, as
`make run` does. Operator tools use the operator identity:
  JUNHENG_NATS_URL={",".join(cluster.nats_urls)} \\
  JUNHENG_NATS_NKEY_SEED_FILE=var/cluster/nats-auth/operator.nk \\
  JUNHENG_NATS_CA_FILE=var/cluster/nats-tls/ca.pem .venv/bin/python -m junheng_kit.durables list

Ctrl-C stops every process.
"""


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="junheng-cluster", description=__doc__)
    parser.add_argument("--var", type=Path, default=Path("var/cluster"))
    parser.add_argument("--demo", type=Path, default=Path("demo/150602-dongsheng-schools.json"))
    args = parser.parse_args(argv)
    from junheng_devtools.demo_roster import pupils, roster_csv, write_agency_candidates

    var = args.var.resolve()
    var.mkdir(parents=True, exist_ok=True)
    demo = json.loads(args.demo.read_text())
    roster = pupils(demo["county_code"], demo["schools"])
    (var / "demo-students.csv").write_bytes(roster_csv(roster))
    write_agency_candidates(roster, var / "demo-agency-candidates.csv")
    port = int(os.environ.get("JUNHENG_GATEWAY_PORT", str(GATEWAY_PORT)))
    cluster = Cluster(
        var=var,
        gateway_port=port,
        second_gateway_port=int(os.environ.get("JUNHENG_SECOND_GATEWAY_PORT", str(port + 1))),
        agency_ports={code: free_port() for code in DEFAULT_AGENCY_PORTS},
        agency_region=demo["county_code"],
        agency_registry=var / "demo-agency-candidates.csv",
        ready_timeout=180,
    )

    def _stop(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        print(
            "starting PostgreSQL, a 3-node NATS cluster (TLS, an identity per process), the "
            "partner-agency simulators, and two replicas of each service and of the gateway …",
            flush=True,
        )
        cluster.start()
        path = var / "demo-client.json"
        credentials = (
            json.loads(path.read_text())
            if path.exists()
            else cluster.register_client(
                name="演示客户端 demo bureau client",
                scopes=[f"{s}:{a}" for s in SERVICES for a in ("read", "write")]
                + ["assistance:pii", "enrollment:pii", "staffing:pii"],
                jurisdiction=[demo["county_code"]],
                json_out=path,
            )
        )
        _, students, intake = load_demo(cluster, credentials, args.demo, var)
        print(_banner(cluster, credentials, students, intake["year"]), flush=True)
        wait_while_running(cluster, "var/cluster/logs/")
    except KeyboardInterrupt:
        print("\nstopping …", flush=True)
    finally:
        cluster.stop()


if __name__ == "__main__":
    run()
