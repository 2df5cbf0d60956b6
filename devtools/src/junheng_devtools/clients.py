"""Generate Junheng's clients as an integrator does, and fail on any generator warning.

    python -m junheng_devtools.clients --out var/clients                    # built in-process
    python -m junheng_devtools.clients --out var/clients --from http://127.0.0.1:8000

Takes the gateway's merged `/openapi.json` (from a running gateway, or built in-process from
the services' apps by the gateway's own merge — the same document), validates it
(openapi-spec-validator), generates a Python client (openapi-python-client, with
clients/openapi-python-client.yaml) and TypeScript types (openapi-typescript, pinned in
clients/package.json; `npm ci` installs them on first use, its cache under var/). Any line
either generator prints beyond its banner is a warning and fails the run, as does an
operation the Python client lacks. CI runs this through tests/clients.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[3]
CLIENTS = ROOT / "clients"
PYTHON_CONFIG = CLIENTS / "openapi-python-client.yaml"
PYTHON_PACKAGE = "junheng_client"
METHODS = ("get", "put", "post", "delete", "patch")


class GeneratorComplained(RuntimeError):
    """A generator printed a warning, skipped an operation or failed."""


@dataclass(frozen=True, slots=True)
class Generated:
    python: Path  # the directory holding the `junheng_client` package
    typescript: Path  # the .d.ts file
    python_output: str
    typescript_output: str


def operations(document: dict[str, Any]) -> list[str]:
    """Every operationId of the document."""
    return [
        operation["operationId"]
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in METHODS
    ]


def in_process_document() -> dict[str, Any]:
    """The merged document built from the services' apps, as the gateway merges what they
    serve (no process, no NATS): what `GET /openapi.json` answers when every service is up."""
    from pydantic import SecretStr

    from assistance.app import create_app as assistance_app
    from assistance.settings import AssistanceSettings
    from enrollment.app import create_app as enrollment_app
    from enrollment.settings import EnrollmentSettings
    from evaluation.app import create_app as evaluation_app
    from evaluation.settings import EvaluationSettings
    from gateway.app import create_app as gateway_app
    from gateway.openapi.endpoints import merged_document
    from gateway.settings import GatewaySettings
    from junheng_kit import fieldcrypt
    from staffing.app import create_app as staffing_app
    from staffing.settings import StaffingSettings

    # never used to sign anything: the apps are only asked for their documents
    secret, pseudonym = SecretStr("openapi-only-secret"), SecretStr("openapi-only-pseudonym-key")
    common: dict[str, Any] = {
        "environment": "test",
        "secret_key": secret,
        "pseudonym_key": pseudonym,
    }
    # the services that encrypt fields need keys outside dev: the dev-only ones, never used here
    keys, index_key = fieldcrypt.dev_field_keys()
    keyed = {**common, "field_keys": SecretStr(keys), "blind_index_key": SecretStr(index_key)}
    gateway = gateway_app(GatewaySettings(**common))
    services = {
        "enrollment": enrollment_app(EnrollmentSettings(**keyed)),
        "staffing": staffing_app(StaffingSettings(**keyed)),
        "assistance": assistance_app(AssistanceSettings(**keyed)),
        "evaluation": evaluation_app(EvaluationSettings(**common)),
    }
    documents: dict[str, dict[str, Any] | None] = {
        name: services[name].openapi() for name in gateway.state.settings.services
    }
    return merged_document(gateway, documents)


def served_document(gateway_url: str) -> dict[str, Any]:
    response = httpx.get(f"{gateway_url.rstrip('/')}/openapi.json", timeout=60)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def validate(document: dict[str, Any]) -> None:
    from openapi_spec_validator import validate as validate_spec

    validate_spec(document)  # raises OpenAPIValidationError naming the part


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        raise GeneratorComplained(f"{' '.join(command[:4])} failed ({done.returncode}):\n{output}")
    return output


def typescript_tools(cache: Path) -> Path:
    """clients/node_modules, installed by `npm ci` from the pinned lock file when missing."""
    binary = CLIENTS / "node_modules" / ".bin" / "openapi-typescript"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise GeneratorComplained("npm is not installed: `make install` installs Node.js")
        _run([npm, "ci", "--cache", str(cache), "--no-audit", "--no-fund"], cwd=CLIENTS)
    return binary


def generate_python(document_file: Path, out: Path) -> str:
    """The Python client under `out/junheng_client`; the generator's output, checked."""
    target = out / "python"
    shutil.rmtree(target, ignore_errors=True)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    output = _run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(document_file),
            "--output-path",
            str(target),
            "--meta",
            "none",
            "--config",
            str(PYTHON_CONFIG),
        ],
        cwd=out,
        env=env,  # its post-hook formats with ruff from this environment
    )
    complaints = [line for line in output.splitlines() if not line.startswith("Generating ")]
    if complaints:
        raise GeneratorComplained("openapi-python-client:\n" + output)
    # `--meta none` writes the package's modules straight into `target`: make it importable
    package = out / PYTHON_PACKAGE
    shutil.rmtree(package, ignore_errors=True)
    target.rename(package)
    return output


def python_operations(out: Path) -> set[str]:
    """The operation modules the Python client has (`api/<tag>/<operation>.py`)."""
    return {
        module.stem
        for module in (out / PYTHON_PACKAGE / "api").rglob("*.py")
        if module.name != "__init__.py"
    }


def snake(operation_id: str) -> str:
    """openapi-python-client's module name of an operationId (`enrollment.listSchools` →
    `enrollment_list_schools`)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", operation_id.replace(".", "_")).lower()


def generate_typescript(document_file: Path, out: Path, cache: Path) -> str:
    binary = typescript_tools(cache)
    target = out / "junheng.d.ts"
    output = _run([str(binary), str(document_file), "--output", str(target)], cwd=CLIENTS)
    banner = re.compile(r"^(✨ openapi-typescript \S+|🚀 .* → .* \[[\d.]+m?s\])$")
    complaints = [line for line in output.splitlines() if line and not banner.match(line)]
    if complaints:
        raise GeneratorComplained("openapi-typescript:\n" + output)
    tsc = CLIENTS / "node_modules" / ".bin" / "tsc"  # the types compile
    _run([str(tsc), "--noEmit", "--strict", str(target)], cwd=CLIENTS)
    return output


def generate(document: dict[str, Any], out: Path, npm_cache: Path) -> Generated:
    """Validate the document, generate both clients into `out`; raise on any complaint."""
    out.mkdir(parents=True, exist_ok=True)
    validate(document)
    document_file = out / "openapi.json"
    document_file.write_text(json.dumps(document, ensure_ascii=False, indent=1))
    python_output = generate_python(document_file, out)
    missing = {snake(o) for o in operations(document)} - python_operations(out)
    if missing:
        raise GeneratorComplained(f"the Python client lacks {sorted(missing)}")
    typescript_output = generate_typescript(document_file, out, npm_cache)
    return Generated(out, out / "junheng.d.ts", python_output, typescript_output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "clients")
    parser.add_argument("--from", dest="url", help="a running gateway, e.g. http://127.0.0.1:8000")
    args = parser.parse_args()
    document = served_document(args.url) if args.url else in_process_document()
    try:
        generated = generate(document, args.out.resolve(), ROOT / "var" / "npm-cache")
    except GeneratorComplained as complaint:
        sys.exit(str(complaint))
    print(f"Python client: {generated.python / PYTHON_PACKAGE}")
    print(f"TypeScript types: {generated.typescript}")


if __name__ == "__main__":
    main()
