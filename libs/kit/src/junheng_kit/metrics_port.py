"""Prometheus `/metrics` on a port of its own, so that a public HTTP port (the gateway's) need
not serve it: `<PREFIX>_METRICS_PORT` (and `<PREFIX>_METRICS_HOST`, default the HTTP host)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from junheng_kit.settings import ServiceSettings

log = logging.getLogger("junheng.metrics")


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds: no access log lines."""


class MetricsListener:
    """Prometheus `/metrics` on a port of its own (threads, beside the event loop), so that a
    public HTTP port (the gateway's) need not serve it. Other paths answer 404."""

    def __init__(self, host: str, port: int) -> None:
        exposition = make_wsgi_app()

        def only_metrics(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            if environ.get("PATH_INFO") == "/metrics":
                return exposition(environ, start_response)  # type: ignore[no-any-return]
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"only /metrics is served on this port\n"]

        self._server = make_server(
            host, port, only_metrics, ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self.host, self.port = host, int(self._server.server_port)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="metrics-listener", daemon=True
        )

    def start(self) -> MetricsListener:
        self._thread.start()
        log.info("metrics.listening", extra={"host": self.host, "port": self.port})
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def start_metrics_listener(settings: ServiceSettings) -> MetricsListener | None:
    """The process's own metrics port when `metrics_port` is set (0: any free port)."""
    if settings.metrics_port is None:
        return None
    host = settings.metrics_host or settings.http_host
    return MetricsListener(host, settings.metrics_port).start()
