from pydantic_settings import SettingsConfigDict

from junheng_kit.settings import ServiceSettings


class AssistanceSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANCE_", extra="forbid", populate_by_name=True
    )

    service_name: str = "assistance"
    database_url: str = "sqlite+aiosqlite:///var/assistance.sqlite3"
    http_port: int = 8103
