"""Settings for a service under test: the test environment, the tests' own secrets and, for a
service that encrypts fields, the fixed dev-only field keys (re-exported by the plugin)."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from junheng_kit import fieldcrypt
from junheng_kit.fieldcrypt import dev_field_keys

TEST_SECRET = "test-only-secret"  # noqa: S105 - the tests' own, never a deployment's
TEST_PSEUDONYM_KEY = "test-only-pseudonym-key"


def field_keys_for_tests() -> dict[str, SecretStr]:
    """`field_keys` and `blind_index_key` for settings built outside dev: the dev-only keys
    (fixed, public) of the profile in force."""
    keys, index_key = dev_field_keys()
    return {"field_keys": SecretStr(keys), "blind_index_key": SecretStr(index_key)}


def service_settings(settings_type: type[Any], **values: Any) -> Any:
    """A service's settings for tests: the test environment and the tests' own secrets (a
    service that encrypts fields gets the fixed dev-only field keys of the profile in force, the
    same for every app of a test so replicas read each other's rows)."""
    if getattr(settings_type, "encrypts_fields", False) and "field_keys" not in values:
        keys, index_key = fieldcrypt.dev_field_keys()
        values = {"field_keys": SecretStr(keys), "blind_index_key": SecretStr(index_key), **values}
    return settings_type(
        environment="test",
        secret_key=SecretStr(TEST_SECRET),
        pseudonym_key=SecretStr(TEST_PSEUDONYM_KEY),
        **values,
    )
