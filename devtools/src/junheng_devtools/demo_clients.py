"""The demo's clients that `make run` registers once and keeps under var/: the bureau's demo
client (every read/write and PII scope) and the auditor (`audit:read` alone)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from junheng_devtools.system import System


def _all_scopes() -> list[str]:
    from junheng_devtools.system import ALL_SCOPES

    return ALL_SCOPES


def demo_auditor(system: System, var: Path, county: str) -> dict[str, Any]:
    """The demo's auditor (审计员): `audit:read` alone, the demo county — reads every service's
    audit trail and the family view (docs/audit.md)."""
    path = var / "demo-auditor.json"
    if path.exists():
        credentials = dict(json.loads(path.read_text()))
        try:
            system.token(credentials)
            return credentials
        except httpx.HTTPError:
            pass  # the gateway database was reset: register again
    return system.register_client(
        name="演示审计员 demo auditor", scopes=["audit:read"], jurisdiction=[county], json_out=path
    )


def demo_client(system: System, var: Path, county: str) -> dict[str, Any]:
    path = var / "demo-client.json"
    if path.exists():
        credentials = dict(json.loads(path.read_text()))
        try:
            system.token(credentials)
            return credentials
        except httpx.HTTPError:
            pass  # the gateway database was reset: register again
    return system.register_client(
        name="演示客户端 demo bureau client",
        scopes=_all_scopes(),
        jurisdiction=[county],
        json_out=path,
    )
