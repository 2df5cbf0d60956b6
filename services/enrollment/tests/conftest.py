from typing import Any

import pytest

from enrollment.app import create_app
from enrollment.settings import EnrollmentSettings
from junheng_kit.testing.plugin import (
    TokenFactory,
    auth,
    replicas_fixture,
    scope_fixtures,
    service_fixtures,
)

service_dir, app, live_app = service_fixtures(create_app, EnrollmentSettings)
replicas = replicas_fixture(create_app, EnrollmentSettings)
reader, writer = scope_fixtures("enrollment")


@pytest.fixture
def pii_writer(token: TokenFactory) -> dict[str, Any]:
    """A writer that also holds `enrollment:pii`: answers show personal data unmasked."""
    return auth(token("enrollment:read", "enrollment:write", "enrollment:pii"))
