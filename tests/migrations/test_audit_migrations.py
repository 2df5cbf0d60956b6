"""The audit trail's migrations (issue 20 item 1): every service and the gateway get the kit's
audit tables with the chain's head at its genesis, no entry, and their earlier rows untouched;
the gateway's clients keep their rows and have no declared purpose until one is set."""

from pathlib import Path

import pytest

from junheng_kit.migrations import service_dir as installed_service_dir
from junheng_kit.migrations import upgrade
from junheng_kit.testing.sql import run_sql

BEFORE = {
    "enrollment": "e0013",
    "assistance": "a0010",
    "staffing": "s0009",
    "evaluation": "e0011",
    "gateway": "g0004",
}


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_the_audit_trail_starts_at_its_genesis(name: str, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / (name + '.sqlite3')}"
    directory = installed_service_dir(name)
    upgrade(directory, url, BEFORE[name])
    run_sql(
        url,
        "INSERT INTO idempotency_record (client_id, key, method, path, fingerprint, state, "
        "status, headers, body, created_at) VALUES ('c', 'k', 'POST', '/v1/x', 'f', 'done', "
        "201, '{}', x'', '2026-01-01 00:00:00')",
    )
    upgrade(directory, url)
    assert run_sql(url, "SELECT id, seq, head_hash FROM audit_head") == [(1, 0, "0" * 64)]
    for table in ("audit_entry", "audit_archive"):
        assert run_sql(url, f"SELECT count(*) FROM {table}") == [(0,)]  # noqa: S608 - fixed names
    assert run_sql(url, "SELECT client_id, key FROM idempotency_record") == [("c", "k")]


def test_a_client_registered_before_g0005_has_no_declared_purpose(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.sqlite3'}"
    directory = installed_service_dir("gateway")
    upgrade(directory, url, "g0004")
    run_sql(
        url,
        "INSERT INTO client (client_id, name, secret_hash, scopes, jurisdiction, created_at, "
        "disabled) VALUES ('c-1', 'bureau', 'h', '[\"enrollment:read\"]', '[\"150602\"]', "
        "'2026-01-01 00:00:00', 0)",
    )
    upgrade(directory, url)
    assert run_sql(url, "SELECT client_id, purpose FROM client") == [("c-1", None)]
