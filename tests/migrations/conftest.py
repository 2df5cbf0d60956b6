"""Migrations that encrypt stored rows read their keys from the environment, as a deployment's
`migrate` does: each test gets fresh keys of the profile in force."""

import pytest

from junheng_kit import fieldcrypt

ENCRYPTING_SERVICES = ("ENROLLMENT", "ASSISTANCE")


@pytest.fixture(autouse=True)
def field_keys(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[str, str]]:
    """`<SERVICE>_FIELD_KEYS` / `_BLIND_INDEX_KEY` for each service whose migrations encrypt."""
    keys = {}
    for prefix in ENCRYPTING_SERVICES:
        keys[prefix] = (fieldcrypt.new_key("t1"), fieldcrypt.new_index_key())
        monkeypatch.setenv(f"{prefix}_FIELD_KEYS", keys[prefix][0])
        monkeypatch.setenv(f"{prefix}_BLIND_INDEX_KEY", keys[prefix][1])
    return keys
