from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from junheng_kit.settings import SERVICE_PORTS, ServiceSettings


class AssistanceSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANCE_", extra="forbid", populate_by_name=True
    )

    # the 应助尽助 job's roster snapshot is stored sealed (identification.snapshot)
    encrypts_fields: ClassVar[bool] = True

    service_name: str = "assistance"
    database_url: str = "sqlite+aiosqlite:///var/assistance.sqlite3"
    http_port: int = SERVICE_PORTS["assistance"]

    # Partner agencies (民政, 残联, 乡村振兴, 农牧): a JSON file listing
    # [{code, name, base_url, public_key, categories, timeout_seconds}]; none configured when unset
    agencies_file: Path | None = None
    # the bureau's Ed25519 key signing requests to agencies (PKCS#8 PEM); generated when missing
    # only with JUNHENG_ENV=dev, like the gateway's token key
    agency_signing_key_file: Path = Path("var/assistance-agency-key.pem")
    agency_retries: int = Field(2, ge=0, le=10)  # extra attempts on 5xx / timeouts only
    agency_backoff_seconds: float = Field(0.1, ge=0)  # base of exponential backoff, full jitter
    agency_breaker_failures: int = Field(5, ge=1)  # consecutive failed calls that open a breaker
    agency_breaker_reset_seconds: float = Field(30.0, gt=0)  # open → half-open after this

    # 公示 lasts at least this many working days (domain.md §4.3: county/city rules, commonly 5)
    publicity_min_working_days: int = Field(5, ge=1, le=30)
    # a status notice (category lost) leaves the award payable for this many days
    notice_grace_days: int = Field(30, ge=0, le=365)
    # 应助尽助 jobs: each process beats for the jobs it runs; a job silent for longer than the
    # stale limit lost its process and is failed
    identification_heartbeat_seconds: float = Field(15.0, gt=0)
    identification_stale_seconds: float = Field(120.0, gt=0)
