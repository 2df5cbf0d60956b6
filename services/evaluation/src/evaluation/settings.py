from pydantic_settings import SettingsConfigDict

from junheng_kit.settings import SERVICE_PORTS, ServiceSettings


class EvaluationSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="EVALUATION_", extra="forbid", populate_by_name=True
    )

    service_name: str = "evaluation"
    database_url: str = "sqlite+aiosqlite:///var/evaluation.sqlite3"
    http_port: int = SERVICE_PORTS["evaluation"]
