"""The gateway's g0006 (client administration, issue 20): clients registered before keep their
rows, require no declared purpose and have no previous secret; downgraded, they are as before."""

from pathlib import Path

from alembic import command

from junheng_kit.migrations import alembic_config, upgrade
from junheng_kit.migrations import service_dir as installed_service_dir
from junheng_kit.testing.sql import run_sql


def test_a_client_registered_before_g0006_requires_no_purpose_and_has_no_previous_secret(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.sqlite3'}"
    directory = installed_service_dir("gateway")
    upgrade(directory, url, "g0005")
    run_sql(
        url,
        "INSERT INTO client (client_id, name, secret_hash, scopes, jurisdiction, created_at, "
        "disabled, purpose) VALUES ('c-1', 'bureau', 'h', '[\"enrollment:read\"]', "
        "'[\"150602\"]', '2026-01-01 00:00:00', 0, '学籍核对')",
    )
    upgrade(directory, url)
    assert run_sql(
        url,
        "SELECT client_id, secret_hash, purpose, purpose_required, previous_secret_hash, "
        "previous_secret_until FROM client",
    ) == [("c-1", "h", "学籍核对", 0, None, None)]
    command.downgrade(alembic_config(directory, url), "g0005")
    assert run_sql(url, "SELECT client_id, secret_hash, purpose, disabled FROM client") == [
        ("c-1", "h", "学籍核对", 0)
    ]
