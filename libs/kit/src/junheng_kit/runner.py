"""Run one service process: its HTTP port (health, metrics, direct calls) plus the NATS bridge."""

from __future__ import annotations

import asyncio

import uvicorn
from fastapi import FastAPI

from junheng_kit.logs import configure_logging
from junheng_kit.settings import ServiceSettings


def serve(app: FastAPI, settings: ServiceSettings, *, proxy_headers: bool = True) -> None:
    """`proxy_headers=False`: the client address stays the socket peer even from loopback
    (uvicorn otherwise takes X-Forwarded-For from 127.0.0.1); the app decides whom to trust."""
    configure_logging(settings.service_name, settings.log_level)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
        proxy_headers=proxy_headers,
    )
    asyncio.run(uvicorn.Server(config).serve())
