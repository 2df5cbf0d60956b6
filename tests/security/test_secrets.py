"""Secrets are refused at start-up unless JUNHENG_ENV=dev.

Every settings class of the gateway and the four services inherits the kit's check (a
`SecretStr` still holding the dev default outside dev is refused); the key files (the gateway's
token key, assistance's agency key) are generated only in dev. Here: each class, then the real
processes — a production start with the dev defaults stops at once with one clear line, a dev
start comes up.
"""

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from junheng_devtools.system import SERVICES, System
from pydantic import SecretStr, ValidationError

from assistance.agencies.connector import AgencyKeyMissing, connector_from_settings
from assistance.settings import AssistanceSettings
from enrollment.settings import EnrollmentSettings
from evaluation.settings import EvaluationSettings
from gateway.settings import GatewaySettings
from junheng_kit import fieldcrypt
from junheng_kit.processes import free_port
from junheng_kit.settings import ServiceSettings
from staffing.settings import StaffingSettings

SETTINGS: dict[str, type[ServiceSettings]] = {
    "gateway": GatewaySettings,
    "enrollment": EnrollmentSettings,
    "staffing": StaffingSettings,
    "assistance": AssistanceSettings,
    "evaluation": EvaluationSettings,
}
OURS = ("JUNHENG_", "GATEWAY_", *(f"{s.upper()}_" for s in SERVICES))


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No secret from the developer's shell may make a refusal pass."""
    for name in list(os.environ):
        if name.startswith(OURS):
            monkeypatch.delenv(name)


@pytest.mark.usefixtures("clean_environment")
class TestEverySettingsClass:
    @pytest.mark.parametrize("name", SETTINGS)
    def test_production_with_the_dev_defaults_is_refused_naming_the_variables(
        self, name: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("JUNHENG_ENV", "prod")
        with pytest.raises(ValidationError) as refused:
            SETTINGS[name]()
        assert refused.value.errors()[0]["msg"] == (
            "Value error, dev default outside JUNHENG_ENV=dev: secret_key, pseudonym_key "
            f"(set {name.upper()}_SECRET_KEY, JUNHENG_PSEUDONYM_KEY)"
        )

    @pytest.mark.parametrize("name", SETTINGS)
    def test_one_secret_left_at_its_default_is_still_refused(
        self, name: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("JUNHENG_ENV", "prod")
        monkeypatch.setenv(f"{name.upper()}_SECRET_KEY", "from-the-vault")
        with pytest.raises(ValidationError, match=r"dev default outside JUNHENG_ENV=dev: "):
            SETTINGS[name]()

    @pytest.mark.parametrize("name", SETTINGS)
    def test_production_with_real_secrets_loads(
        self, name: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("JUNHENG_ENV", "prod")
        monkeypatch.setenv(f"{name.upper()}_SECRET_KEY", "from-the-vault")
        monkeypatch.setenv("JUNHENG_PSEUDONYM_KEY", "shared-pseudonym-key")
        if SETTINGS[name].encrypts_fields:  # its keys of fields at rest are real secrets too
            monkeypatch.setenv(f"{name.upper()}_FIELD_KEYS", fieldcrypt.new_key("k1"))
            monkeypatch.setenv(f"{name.upper()}_BLIND_INDEX_KEY", fieldcrypt.new_index_key())
        settings = SETTINGS[name]()
        assert settings.environment == "prod"
        assert settings.secret_key == SecretStr("from-the-vault")

    @pytest.mark.parametrize("name", SETTINGS)
    def test_dev_accepts_the_dev_defaults(self, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("JUNHENG_ENV", "dev")
        assert SETTINGS[name]().environment == "dev"

    def test_every_secret_field_is_covered(self) -> None:
        """A new SecretStr setting in any class is checked by the same rule: list them."""
        secrets = {
            name: sorted(
                field
                for field, info in cls.model_fields.items()
                if info.annotation is SecretStr or info.annotation == SecretStr | None
            )
            for name, cls in SETTINGS.items()
        }
        # field_keys and blind_index_key (junheng_kit.fieldcrypt) have no default at all:
        # unset, nothing is encrypted; set, both are required (test_settings_and_auth)
        expected = ["blind_index_key", "field_keys", "pseudonym_key", "secret_key"]
        assert secrets == {name: expected for name in SETTINGS}


class TestAssistanceAgencyKey:
    """The bureau's key that signs requests to partner agencies: provisioned, never generated,
    outside dev (the gateway's token key has the same rule: gateway/tests/test_settings.py)."""

    def test_a_missing_agency_key_outside_dev_is_refused(self, tmp_path: Path) -> None:
        raw = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
        agency = {
            "code": "mca",
            "name": "民政",
            "base_url": "http://127.0.0.1:9",
            "public_key": base64.urlsafe_b64encode(raw).decode().rstrip("="),
            "categories": ["dibao"],
        }
        agencies = tmp_path / "agencies.json"
        agencies.write_text(json.dumps([agency]))
        settings = AssistanceSettings(
            environment="prod",
            secret_key=SecretStr("from-the-vault"),
            pseudonym_key=SecretStr("shared"),
            agencies_file=agencies,
            agency_signing_key_file=tmp_path / "absent.pem",
            field_keys=SecretStr(fieldcrypt.new_key("k1")),
            blind_index_key=SecretStr(fieldcrypt.new_index_key()),
        )
        with pytest.raises(AgencyKeyMissing, match="generated only with JUNHENG_ENV=dev"):
            connector_from_settings(settings)
        assert not (tmp_path / "absent.pem").exists()


def process_environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def run_to_exit(name: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", name, "serve"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.e2e
@pytest.mark.timeout(900)  # may be the first to start the session's system
class TestRealProcesses:
    @pytest.mark.parametrize("name", SETTINGS)
    def test_a_production_start_with_the_dev_defaults_stops_with_one_clear_line(
        self, name: str, tmp_path: Path
    ) -> None:
        done = run_to_exit(name, process_environment(JUNHENG_ENV="prod"), tmp_path)
        assert done.returncode == 2
        assert done.stderr == (
            f"{name} refuses to start: dev default outside JUNHENG_ENV=dev: secret_key, "
            f"pseudonym_key (set {name.upper()}_SECRET_KEY, JUNHENG_PSEUDONYM_KEY)\n"
        )
        assert list(tmp_path.iterdir()) == []  # nothing created: no database, no key

    def test_a_production_start_with_a_moved_clock_stops_with_one_clear_line(
        self, tmp_path: Path
    ) -> None:
        """JUNHENG_CLOCK_AT (junheng_kit.timeutil) is for tests and demos: a production service
        never runs on a moved clock, even with every secret set."""
        env = process_environment(
            JUNHENG_ENV="prod",
            JUNHENG_CLOCK_AT="2026-11-09T09:00:00+08:00",
            ASSISTANCE_SECRET_KEY="from-the-vault",
            JUNHENG_PSEUDONYM_KEY="shared-pseudonym-key",
        )
        done = run_to_exit("assistance", env, tmp_path)
        assert done.returncode == 2
        assert done.stderr == (
            "assistance refuses to start: JUNHENG_CLOCK_AT moves the clock: only with "
            "JUNHENG_ENV=dev or test (JUNHENG_ENV=prod)\n"
        )
        assert list(tmp_path.iterdir()) == []

    def test_an_unknown_environment_name_is_refused_too(self, tmp_path: Path) -> None:
        done = run_to_exit("gateway", process_environment(JUNHENG_ENV="production"), tmp_path)
        assert done.returncode == 2
        assert done.stderr.startswith(
            "gateway refuses to start: JUNHENG_ENV: Input should be 'dev', 'test' or 'prod'"
        )

    def test_a_production_gateway_without_its_signing_key_does_not_start(
        self, system: System, tmp_path: Path
    ) -> None:
        env = process_environment(
            JUNHENG_ENV="prod",
            GATEWAY_SECRET_KEY="from-the-vault",
            JUNHENG_PSEUDONYM_KEY="shared",
            JUNHENG_NATS_URL=system.nats.url if system.nats else "",
            **system.nats_env("gateway"),
            JUNHENG_TRUST_ROOT_KEYS=system.trust_root().public_key_text,
            JUNHENG_GATEWAY_PORT=str(free_port()),
            GATEWAY_SIGNING_KEY_FILE=str(tmp_path / "absent.pem"),
            GATEWAY_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'gateway.sqlite3'}",
        )
        done = run_to_exit("gateway", env, tmp_path)
        assert done.returncode != 0
        assert "generated only with JUNHENG_ENV=dev" in done.stderr + done.stdout
        assert not (tmp_path / "absent.pem").exists()

    @pytest.mark.parametrize("name", ["gateway", "staffing"])
    def test_a_dev_start_with_the_dev_defaults_comes_up(
        self, name: str, system: System, tmp_path: Path
    ) -> None:
        port = free_port()
        database = f"sqlite+aiosqlite:///{tmp_path / (name + '.sqlite3')}"
        env = process_environment(
            JUNHENG_ENV="dev",
            JUNHENG_NATS_URL=system.nats.url if system.nats else "",
            **system.nats_env(name),
            **{f"{name.upper()}_DATABASE_URL": database},
        )
        if name == "gateway":
            env |= {
                "JUNHENG_GATEWAY_PORT": str(port),
                "GATEWAY_SIGNING_KEY_FILE": str(tmp_path / "key.pem"),
            }
        else:
            env[f"{name.upper()}_HTTP_PORT"] = str(port)
        migrate = [sys.executable, "-m", name, "migrate"]
        subprocess.run(migrate, env=env, cwd=tmp_path, check=True, capture_output=True)
        with started(name, env, tmp_path) as process:
            assert wait_ready(process, port) == 200
        if name == "gateway":  # generated in dev, private to its owner
            assert (tmp_path / "key.pem").stat().st_mode & 0o777 == 0o600


@contextmanager
def started(name: str, env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    with (cwd / "process.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", name, "serve"], env=env, cwd=cwd, stdout=log, stderr=log
        )
        try:
            yield process
        finally:
            process.terminate()
            process.wait(timeout=30)


def wait_ready(process: subprocess.Popen[bytes], port: int) -> int:
    """200 once ready; the exit status (negated) if it stops; the last status at the deadline."""
    deadline, status = time.monotonic() + 180, 0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return -abs(int(process.returncode or 1))
        try:
            status = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code
        except httpx.HTTPError:
            status = 0
        if status == 200:
            return status
        time.sleep(0.2)
    return status
