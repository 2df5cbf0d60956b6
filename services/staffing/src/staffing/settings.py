from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from junheng_kit.settings import SERVICE_PORTS, ServiceSettings


class StaffingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STAFFING_", extra="forbid", populate_by_name=True)

    encrypts_fields: ClassVar[bool] = True  # teachers' citizen IDs and names (teachers.models)

    service_name: str = "staffing"
    database_url: str = "sqlite+aiosqlite:///var/staffing.sqlite3"
    http_port: int = SERVICE_PORTS["staffing"]
