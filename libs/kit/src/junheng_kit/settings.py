"""Settings base: pydantic-settings, an env prefix per service, no default secrets outside dev."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import ClassVar, Literal, Self, TypeVar

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from junheng_kit.crypto_profile import ProfileUnavailable, profile
from junheng_kit.fieldcrypt import dev_field_keys
from junheng_kit.timeutil import clock_setting_problem

DEV_ONLY = "dev-only-change-me"


GATEWAY_PORT = 8000
SERVICE_PORTS = {"enrollment": 8101, "staffing": 8102, "assistance": 8103, "evaluation": 8104}
"""The HTTP ports each process listens on by default, in one place: the services' settings, the
local launchers (`make run`, `make cluster`) and deploy/'s manifests (checked by
tests/deploy) all use these."""


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="forbid", populate_by_name=True)
    # a service whose tables hold fields encrypted at rest (junheng_kit.fieldcrypt) sets this:
    # outside dev it then refuses to start without its keys; in dev it gets the dev-only keys
    encrypts_fields: ClassVar[bool] = False

    service_name: str = "service"
    environment: Literal["dev", "test", "prod"] = Field("prod", validation_alias="JUNHENG_ENV")
    database_url: str = "sqlite+aiosqlite:///var/service.sqlite3"
    # one URL or several, comma-separated (the nodes of a cluster): the client tries them all
    nats_url: str | None = Field(None, validation_alias="JUNHENG_NATS_URL")
    # this process's NATS identity: a file holding its nkey seed (junheng_kit.natsauth)
    nats_nkey_seed_file: Path | None = Field(None, validation_alias="JUNHENG_NATS_NKEY_SEED_FILE")
    # the CA that signed the NATS nodes' certificates: connections use TLS and trust only it
    nats_ca_file: Path | None = Field(None, validation_alias="JUNHENG_NATS_CA_FILE")
    # outside dev and test a process needs a NATS identity and TLS; true allows plain TCP (a
    # mesh that encrypts for us), never a missing identity
    nats_allow_plaintext: bool = Field(False, validation_alias="JUNHENG_NATS_ALLOW_PLAINTEXT")
    stream_replicas: int = Field(1, ge=1, le=5, validation_alias="JUNHENG_STREAM_REPLICAS")
    http_host: str = "127.0.0.1"
    http_port: int = 0
    # Ed25519 public keys (JWKS JSON) the service trusts; when empty, keys come from the NATS KV
    # bucket the gateway publishes to.
    jwks_json: str = Field("", validation_alias="JUNHENG_JWKS_JSON")
    # the offline roots that certify the gateway's signing keys (base64url raw Ed25519 public
    # keys, comma-separated, or @file): a key in the bucket without a root's certificate is not
    # trusted (junheng_kit.trust). Required in production when keys come from NATS.
    trust_root_keys: str = Field("", validation_alias="JUNHENG_TRUST_ROOT_KEYS")
    token_issuer: str = Field("junheng-gateway", validation_alias="JUNHENG_TOKEN_ISSUER")
    token_audience: str = Field("junheng", validation_alias="JUNHENG_TOKEN_AUDIENCE")
    # the keys from the KV bucket are re-read when older than this: a key dropped from the
    # gateway's JWKS stops verifying here within this many seconds, without a restart
    jwks_max_age_seconds: float = Field(30.0, gt=0, validation_alias="JUNHENG_JWKS_MAX_AGE_SECONDS")
    # Prometheus /metrics on a listener of its own (<PREFIX>_METRICS_PORT, bound to metrics_host,
    # default http_host); then not on the HTTP port unless metrics_on_http_port says so
    metrics_port: int | None = Field(None, ge=0, le=65535)
    metrics_host: str | None = None
    metrics_on_http_port: bool | None = None
    # how often the scheduled purge of expired personal records runs (junheng_kit.retention),
    # <PREFIX>_RETENTION_SWEEP_SECONDS; daily unless set
    retention_sweep_seconds: float = Field(86400.0, gt=0)
    # HMAC key for this service's idempotency fingerprints
    secret_key: SecretStr = SecretStr(DEV_ONLY)
    # HMAC key for the pseudonymous student keys events carry; one value for every service, so
    # that a student_key from enrollment names the same child in assistance
    pseudonym_key: SecretStr = Field(SecretStr(DEV_ONLY), validation_alias="JUNHENG_PSEUDONYM_KEY")
    # PostgreSQL connections of this process: a pool of db_pool_size kept open, up to
    # db_max_overflow more under load. Every replica holds up to the sum, so
    # replicas × (db_pool_size + db_max_overflow) must stay under the role's CONNECTION LIMIT
    # (deploy/ sets one per service) — checked at start-up (docs/deploy.md, "Sizing pools")
    db_pool_size: int = Field(5, ge=1, le=200)
    db_max_overflow: int = Field(5, ge=0, le=200)
    db_pool_timeout_seconds: float = Field(10.0, gt=0)
    # how many replicas of this process the deployment runs (for the sizing check)
    replicas: int = Field(2, ge=1, le=100)
    # an Idempotency-Key claim's lease: renewed while its request runs, so it ends only when
    # the owner died; then a retry takes the key over (junheng_kit.idempotency)
    idempotency_lease_seconds: float = Field(30.0, gt=0)
    # how long a settled key is remembered (its first answer replayed); older records are
    # deleted by every replica's sweep, once per `idempotency_sweep_seconds`
    idempotency_retention_hours: float = Field(24.0, ge=1)
    idempotency_sweep_seconds: float = Field(600.0, gt=0)
    outbox_poll_seconds: float = 0.5
    consumer_max_deliver: int = 5
    # how many messages one fetch may bring, applied in one transaction (1: each in its own)
    consumer_batch: int = Field(64, ge=1, le=1000)
    # how often each replica reads its durables' dead-letter depth from the DLQ stream (one
    # request), behind junheng_dead_letters and /readyz
    dead_letter_refresh_seconds: float = Field(5.0, gt=0)
    bridge_concurrency: int = 256
    log_level: str = Field("INFO", validation_alias="JUNHENG_LOG_LEVEL")
    # tests and demos only: the instant the process's clock reads at start, then runs on from
    # (junheng_kit.timeutil applies it); outside JUNHENG_ENV=dev/test the service refuses to start
    clock_at: str | None = Field(None, validation_alias="JUNHENG_CLOCK_AT")
    # sensitive fields at rest (junheng_kit.fieldcrypt): the keyring (`kid=base64key`, first
    # encrypts; or @file) and the blind-index key, <PREFIX>_FIELD_KEYS and
    # <PREFIX>_BLIND_INDEX_KEY — each service its own, one value for all its replicas
    field_keys: SecretStr | None = None
    blind_index_key: SecretStr | None = None
    # the deployment's cryptography (junheng_kit.crypto_profile): the same in every process
    crypto_profile: Literal["international", "guomi"] = Field(
        "international", validation_alias="JUNHENG_CRYPTO_PROFILE"
    )

    # the audit trail (junheng_kit.audit): `off` only in dev, for a benchmark's baseline
    audit: Literal["on", "off"] = Field("on", validation_alias="JUNHENG_AUDIT")
    # entries are kept this long, then archived (≥ 183: 网络安全法 第二十一条, six months)
    audit_retention_days: int = Field(183, validation_alias="JUNHENG_AUDIT_RETENTION_DAYS")
    # where archived segments are written (NDJSON, one file per segment)
    audit_archive_dir: Path = Field(
        Path("var/audit-archive"), validation_alias="JUNHENG_AUDIT_ARCHIVE_DIR"
    )
    audit_chain_seconds: float = Field(0.5, gt=0, le=10)
    audit_archive_seconds: float = Field(3600.0, gt=0)
    # true: an answer waits until its audit entry is committed (no entry lost if the process is
    # killed, at a cost in throughput: benchmarks/audit_cost.py); false: committed by group
    # commit a few milliseconds after the answer starts
    audit_durable: bool = Field(False, validation_alias="JUNHENG_AUDIT_DURABLE")

    @model_validator(mode="after")
    def _refuse_dev_secrets(self) -> Self:
        unsafe = [
            name
            for name, value in self
            if isinstance(value, SecretStr) and value.get_secret_value() == DEV_ONLY
        ]
        if unsafe and self.environment != "dev":
            names = ", ".join(self.env_name(name) for name in unsafe)
            raise ValueError(
                f"dev default outside JUNHENG_ENV=dev: {', '.join(unsafe)} (set {names})"
            )
        from junheng_kit.audit.rules import audit_switch_problem, retention_problem

        for problem in (
            retention_problem(self.audit_retention_days),
            audit_switch_problem(self.environment, self.audit),
        ):
            if problem is not None:
                raise ValueError(problem)
        clock_problem = clock_setting_problem(self.environment, self.clock_at)
        if clock_problem is not None:
            raise ValueError(clock_problem)
        if (self.field_keys is None) != (self.blind_index_key is None):
            raise ValueError(
                f"field encryption needs both {self.env_name('field_keys')} and "
                f"{self.env_name('blind_index_key')}"
            )
        if self.encrypts_fields and self.field_keys is None:
            if self.environment != "dev":
                raise ValueError(
                    f"this service encrypts fields at rest: set {self.env_name('field_keys')} "
                    f"and {self.env_name('blind_index_key')} "
                    f"(python -m junheng_kit.fieldcrypt new-keys {self.service_name})"
                )
            keys, index_key = dev_field_keys()
            self.field_keys, self.blind_index_key = SecretStr(keys), SecretStr(index_key)
        try:  # at start-up, not at the first token: SM2 missing from this system's OpenSSL
            in_force = profile().name
        except ProfileUnavailable as unavailable:
            raise ValueError(str(unavailable)) from unavailable
        if self.crypto_profile != in_force:
            raise ValueError(
                f"crypto_profile {self.crypto_profile!r} but the process runs {in_force!r}: "
                "set JUNHENG_CRYPTO_PROFILE in the environment"
            )
        if self.environment == "prod" and self.nats_url:
            if self.nats_nkey_seed_file is None:
                raise ValueError(
                    "a NATS identity is required in production: set JUNHENG_NATS_NKEY_SEED_FILE "
                    "(python -m junheng_kit.natsauth init)"
                )
            if not self.trust_root_keys and not self.jwks_json:
                raise ValueError(
                    "signing keys from NATS need a pinned trust root in production: set "
                    "JUNHENG_TRUST_ROOT_KEYS (python -m gateway trust-root)"
                )
            if self.nats_ca_file is None and not self.nats_allow_plaintext:
                raise ValueError(
                    "NATS without TLS in production: set JUNHENG_NATS_CA_FILE "
                    "(or JUNHENG_NATS_ALLOW_PLAINTEXT=true where a mesh encrypts)"
                )
        return self

    @property
    def nats_servers(self) -> list[str]:
        """JUNHENG_NATS_URL as a list of server URLs."""
        return nats_servers(self.nats_url)

    def serves_metrics_on_http_port(self) -> bool:
        """A service's HTTP port is internal (probes, scraping, direct diagnostics): /metrics
        stays there unless it has a port of its own."""
        if self.metrics_on_http_port is not None:
            return self.metrics_on_http_port
        return self.metrics_port is None

    @classmethod
    def env_name(cls, field_name: str) -> str:
        """The environment variable that sets a field (its alias, or prefix + name)."""
        alias = cls.model_fields[field_name].validation_alias
        if isinstance(alias, str):
            return alias
        return f"{cls.model_config.get('env_prefix', '')}{field_name}".upper()


def nats_servers(value: str | None) -> list[str]:
    """`nats://a:4222,nats://b:4222` (commas or spaces) as a list of URLs."""
    return [part for part in (value or "").replace(",", " ").split() if part]


Settings = TypeVar("Settings", bound=ServiceSettings)


def load_settings(settings_type: type[Settings]) -> Settings:
    """Settings from the environment for a process about to start; invalid ones (a dev default
    secret outside JUNHENG_ENV=dev, an unknown JUNHENG_ENV) stop it with one clear line on
    stderr and exit status 2, not a traceback."""
    try:
        return settings_type()
    except ValidationError as error:
        problems = "; ".join(
            (f"{'.'.join(str(part) for part in e['loc'])}: " if e["loc"] else "")
            + str(e["msg"]).removeprefix("Value error, ")
            for e in error.errors()
        )
        name = settings_type.model_fields["service_name"].default
        sys.stderr.write(f"{name} refuses to start: {problems}\n")
        raise SystemExit(2) from None
