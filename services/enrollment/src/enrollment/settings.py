from pydantic_settings import SettingsConfigDict

from junheng_kit.settings import SERVICE_PORTS, ServiceSettings


class EnrollmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="ENROLLMENT_", extra="forbid", populate_by_name=True
    )

    service_name: str = "enrollment"
    database_url: str = "sqlite+aiosqlite:///var/enrollment.sqlite3"
    http_port: int = SERVICE_PORTS["enrollment"]
