"""Readiness: the named checks behind `/readyz` and how their answers combine.

Each check is an async callable taking the app and returning a `Readiness`: `ok`, `degraded`
(serving, but something needs an operator: dead letters wait) or `failed` (this replica cannot
serve: database or NATS unreachable). A component adds its own check by name:

    readiness_checks(app)["jetstream"] = jetstream_ready

`/readyz` answers 503 only when a check failed; `degraded` stays 200, so a replica keeps its
place in load balancing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import FastAPI
from sqlalchemy import text

CheckStatus = Literal["ok", "degraded", "failed"]
OverallStatus = Literal["ready", "degraded", "not-ready"]


@dataclass(frozen=True, slots=True)
class Readiness:
    """One check's answer; `detail` (JSON) is what `/readyz` shows for it, else the status."""

    status: CheckStatus
    detail: Any = None

    @property
    def shown(self) -> Any:
        return self.status if self.detail is None else self.detail


ReadinessCheck = Callable[[FastAPI], Awaitable[Readiness]]


async def database_ready(app: FastAPI) -> Readiness:
    async with app.state.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return Readiness("ok")


async def nats_ready(app: FastAPI) -> Readiness:
    nc = app.state.nats
    return Readiness("ok" if nc is not None and nc.is_connected else "failed")


def readiness_checks(app: FastAPI) -> dict[str, ReadinessCheck]:
    """The app's checks by name, in answer order: `database`, `nats` (when the app has a NATS
    URL), then whatever components added."""
    checks: dict[str, ReadinessCheck] | None = getattr(app.state, "readiness_checks", None)
    if checks is None:
        checks = {"database": database_ready}
        if app.state.settings.nats_url:
            checks["nats"] = nats_ready
        app.state.readiness_checks = checks
    return checks


async def run_checks(app: FastAPI) -> dict[str, Readiness]:
    results: dict[str, Readiness] = {}
    for name, check in list(readiness_checks(app).items()):
        try:
            results[name] = await check(app)
        except Exception as exc:  # noqa: BLE001 - readiness reports, never raises
            results[name] = Readiness("failed", f"failed: {type(exc).__name__}")
    return results


def overall(results: Mapping[str, Readiness]) -> tuple[OverallStatus, int]:
    """The answer's status and HTTP status: any failed check → not-ready, 503; else any
    degraded → degraded, 200 (degraded replicas keep serving); else ready, 200."""
    statuses = {result.status for result in results.values()}
    if "failed" in statuses:
        return "not-ready", 503
    return ("degraded" if "degraded" in statuses else "ready"), 200
