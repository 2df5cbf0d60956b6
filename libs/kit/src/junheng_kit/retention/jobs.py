"""The scheduled purge inside a service process: `install_retention(app, retention, seconds)`
starts a `Sweeper` once the app's database is open and stops it at exit. Every replica runs one;
the purge lease lets one of them purge a county at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from junheng_kit.retention.purge import Retention, Sweeper


def install_retention(app: FastAPI, retention: Retention, interval_seconds: float) -> None:
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with inner(app):
            sweeper = Sweeper(app.state.sessionmaker, retention, interval_seconds).start()
            app.state.retention_sweeper = sweeper
            try:
                yield
            finally:
                await sweeper.stop()

    app.router.lifespan_context = lifespan
