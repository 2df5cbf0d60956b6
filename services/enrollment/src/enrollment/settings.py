from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from junheng_kit.settings import SERVICE_PORTS, ServiceSettings


class EnrollmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="ENROLLMENT_", extra="forbid", populate_by_name=True
    )

    # children's and guardians' citizen IDs, names, phones and addresses (junheng_kit.fieldcrypt)
    encrypts_fields: ClassVar[bool] = True

    service_name: str = "enrollment"
    database_url: str = "sqlite+aiosqlite:///var/enrollment.sqlite3"
    http_port: int = SERVICE_PORTS["enrollment"]
    # Enrollment sources (户籍, 居住证, 不动产登记, 社保) asked through data sharing: a JSON file
    # (enrollment/facts/config.py); none configured: facts are checked by clerks only
    fact_agencies_file: Path | None = None
    # the bureau's Ed25519 key signing requests to them (PKCS#8 PEM); generated only in dev
    fact_signing_key_file: Path = Path("var/enrollment-agency-key.pem")
    fact_retries: int = Field(2, ge=0, le=10)  # extra attempts on 5xx / timeouts only
    fact_backoff_seconds: float = Field(0.1, ge=0)  # base of exponential backoff, full jitter
    fact_breaker_failures: int = Field(5, ge=1)  # consecutive failed calls that open a breaker
    fact_breaker_reset_seconds: float = Field(30.0, gt=0)  # open → half-open after this
    # how often submitted applications are picked up for their automatic check (seconds)
    fact_check_interval_seconds: float = Field(1.0, gt=0)
    fact_batch_size: int = Field(5000, ge=1, le=10_000)  # lookups per batch request
    # a re-check job's lease: renewed every third of it while its process runs the job; past
    # it, another replica takes the job over (its process died)
    fact_job_lease_seconds: float = Field(60.0, gt=0)
