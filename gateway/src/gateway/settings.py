"""Gateway settings: env prefix GATEWAY_ (plus the shared JUNHENG_* names of the kit)."""

from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import Field, IPvAnyNetwork, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from junheng_kit.settings import GATEWAY_PORT, ServiceSettings

SERVICES = ("enrollment", "staffing", "assistance", "evaluation")
MIB = 1024 * 1024


def _list_of_strings(value: Any) -> Any:
    """Accept a JSON list or a comma/space separated string from the environment."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [part for part in text.replace(",", " ").split() if part]
    return value


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="forbid", populate_by_name=True)

    service_name: str = "gateway"
    database_url: str = "sqlite+aiosqlite:///var/gateway.sqlite3"
    http_host: str = "127.0.0.1"
    http_port: int = Field(GATEWAY_PORT, validation_alias="JUNHENG_GATEWAY_PORT")
    # Ed25519 private key (PKCS#8 PEM); generated when missing only with JUNHENG_ENV=dev
    signing_key_file: Path = Path("var/gateway-signing-key.pem")
    # keys of the previous rotation (private or public PEM): still published and accepted
    previous_key_files: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    # certificates of the signing keys by the offline trust root (python -m gateway certify-key):
    # published with each key; services pinned to the root trust no key without one
    key_certificates_file: Path | None = None
    # dev only (make run): the root's private key, to certify this gateway's keys at start-up
    trust_root_key_file: Path | None = None
    token_ttl_seconds: int = Field(900, gt=0)
    # per client for the whole deployment (all replicas together, docs in README.md)
    rate_limit_per_second: float = Field(200.0, gt=0)
    rate_limit_burst: int = Field(400, gt=0)
    # how often a replica reconciles its counts with the others through NATS KV; a client gets
    # at most replicas × rate × this many requests more than the limit
    rate_limit_sync_seconds: float = Field(0.1, gt=0, le=5)
    # POST /oauth/token, before argon2 runs: failed attempts per client id, every attempt per
    # source address (IPv6: per /64)
    token_failures_per_client_per_minute: int = Field(10, gt=0)
    token_attempts_per_address_per_minute: int = Field(30, gt=0)
    # peers whose X-Forwarded-For names the source address (the ingress): IPs or CIDR networks
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(256 * MIB, gt=0)
    upstream_timeout_seconds: float = Field(30.0, gt=0)
    openapi_timeout_seconds: float = Field(5.0, gt=0)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    services: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(SERVICES))
    # webhooks (README.md, "Webhooks"): each attempt's limit for connecting and for each read,
    # and for the whole POST
    webhook_timeout_seconds: float = Field(5.0, gt=0, le=60)
    # retries: base × 2^(n − 1) after the n-th failed attempt, at most the cap, ±20 % jitter,
    # until the window after the delivery's first attempt has passed (then it fails)
    webhook_retry_base_seconds: float = Field(5.0, gt=0)
    webhook_retry_max_seconds: float = Field(3600.0, gt=0)
    webhook_retry_window_seconds: float = Field(86400.0, gt=0)
    # a subscription whose every attempt failed for this long is disabled, its deliveries parked
    webhook_disable_after_seconds: float = Field(86400.0, gt=0)
    # after a secret rotation the previous secret signs beside the new one for this long
    webhook_secret_overlap_seconds: float = Field(86400.0, ge=0, le=7 * 86400)
    # deliveries in flight per replica, and per subscription on one replica (a receiver that
    # never answers holds at most this many of the replica's slots)
    webhook_concurrency: int = Field(32, ge=1, le=1000)
    webhook_per_subscription_concurrency: int = Field(4, ge=1, le=100)
    # how long a replica holds a delivery it attempts (another takes it over after a crash);
    # longer than the timeout
    webhook_lease_seconds: float = Field(60.0, gt=0)
    # how often a replica looks for due deliveries besides being woken by its own fan-out
    webhook_poll_seconds: float = Field(1.0, gt=0, le=60)
    # networks webhooks may reach although not public (tests, a closed bureau network): CIDRs
    webhook_allowed_networks: Annotated[list[IPvAnyNetwork], NoDecode] = Field(default_factory=list)

    @field_validator(
        "previous_key_files",
        "cors_origins",
        "services",
        "trusted_proxies",
        "webhook_allowed_networks",
        mode="before",
    )
    @classmethod
    def _split(cls, value: Any) -> Any:
        return _list_of_strings(value)

    @model_validator(mode="after")
    def _lease_outlasts_an_attempt(self) -> Self:
        if self.webhook_lease_seconds <= self.webhook_timeout_seconds:
            raise ValueError(
                "GATEWAY_WEBHOOK_LEASE_SECONDS must exceed GATEWAY_WEBHOOK_TIMEOUT_SECONDS: "
                "a delivery still being attempted would be taken over by another replica"
            )
        return self

    def serves_metrics_on_http_port(self) -> bool:
        """The gateway's HTTP port is the public one: in production /metrics is served only on
        GATEWAY_METRICS_PORT unless GATEWAY_METRICS_ON_HTTP_PORT=true says otherwise."""
        if self.metrics_on_http_port is not None:
            return self.metrics_on_http_port
        return self.metrics_port is None and self.environment != "prod"
