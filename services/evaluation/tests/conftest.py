from pathlib import Path

import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from evaluation.app import create_app
from evaluation.settings import EvaluationSettings


@pytest.fixture(scope="session")
def service_dir() -> Path:
    return Path(__file__).resolve().parents[1]


@pytest.fixture
def app(database_url: str, jwks_json: str) -> FastAPI:
    return create_app(
        EvaluationSettings(
            database_url=database_url,
            environment="test",
            jwks_json=jwks_json,
            nats_url=None,
            secret_key=SecretStr("test-only-secret"),
        )
    )


@pytest.fixture
def live_app(fresh_database_url: str, jwks_json: str, nats_url: str) -> FastAPI:
    return create_app(
        EvaluationSettings(
            database_url=fresh_database_url,
            environment="test",
            jwks_json=jwks_json,
            nats_url=nats_url,
            secret_key=SecretStr("test-only-secret"),
            outbox_poll_seconds=0.1,
        )
    )
