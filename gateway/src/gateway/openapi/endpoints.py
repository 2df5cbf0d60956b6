"""GET /openapi.json (merged), /docs (Swagger UI over it) and /asyncapi.json (the events)."""

import asyncio
import gzip
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from gateway.auth.rules import known_scopes
from gateway.openapi import asyncapi
from gateway.openapi.merge import merge
from gateway.routing.compression import accepted_codings
from gateway.webhooks.catalogue import EVENTS
from junheng_kit.bridge import BridgeClient, NoResponder, UpstreamTimeout
from junheng_kit.classification import with_classes
from junheng_kit.openapi_docs import with_operation_docs

log = logging.getLogger("gateway.openapi")
router = APIRouter(include_in_schema=False)

INCOMPLETE_TTL_SECONDS = 30.0  # a merged document missing a service is rebuilt this often


@dataclass(frozen=True, slots=True)
class Encoded:
    """The merged document as sent: its JSON, gzipped once, and a validator for both."""

    body: bytes
    gzipped: bytes
    etag: str  # weak: the same for either content coding


def encoded(document: dict[str, Any]) -> Encoded:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    digest = hashlib.sha256(body).hexdigest()[:32]
    return Encoded(body, gzip.compress(body, compresslevel=6, mtime=0), f'W/"{digest}"')


def merged_document(app: FastAPI, documents: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    """The document integrators get: the gateway's own operations and each service's (`None`:
    the service did not answer). Also how tests build it in-process from the services' apps."""
    own = with_operation_docs(app.openapi(), app, "gateway")  # Chinese summaries, examples
    # every property classified (x-junheng-class): the services' own and the gateway's
    return with_classes(merge(own, documents, known_scopes(list(documents))))


class MergedDocument:
    """Built at the first request and cached; rebuilt soon while a service was missing."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._document: dict[str, Any] | None = None
        self._encoded: Encoded | None = None
        self._encoded_of: dict[str, Any] | None = None  # the document `_encoded` was made of
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def encoded(self) -> Encoded:
        document = await self.get()
        if self._encoded is None or self._encoded_of is not document:
            self._encoded, self._encoded_of = encoded(document), document
        return self._encoded

    async def get(self) -> dict[str, Any]:
        if self._document is not None and time.monotonic() < self._expires:
            return self._document
        async with self._lock:
            if self._document is None or time.monotonic() >= self._expires:
                self._document, complete = await self._build()
                self._expires = (
                    float("inf") if complete else time.monotonic() + INCOMPLETE_TTL_SECONDS
                )
        return self._document

    async def _build(self) -> tuple[dict[str, Any], bool]:
        settings = self.app.state.settings
        services: list[str] = list(settings.services)
        fetched = await asyncio.gather(*(self._fetch(s) for s in services))
        documents = dict(zip(services, fetched, strict=True))
        return merged_document(self.app, documents), all(d is not None for d in fetched)

    async def _fetch(self, service: str) -> dict[str, Any] | None:
        bridge: BridgeClient | None = self.app.state.bridge
        if bridge is None:
            return None
        try:
            response = await bridge.request(
                service,
                method="GET",
                path="/openapi.json",
                query="",
                headers=[("accept", "application/json")],
                body=b"",
                timeout=self.app.state.settings.openapi_timeout_seconds,
            )
            if response.status != 200:
                raise ValueError(f"status {response.status}")
            document = json.loads(response.body)
            if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
                raise ValueError("not an OpenAPI document")
        except (NoResponder, UpstreamTimeout, ValueError) as exc:
            log.warning("openapi.service_missing", extra={"service": service, "error": repr(exc)})
            return None
        return document


def _answer(request: Request, sent: Encoded) -> Response:
    headers = {"ETag": sent.etag, "Vary": "Accept-Encoding", "Cache-Control": "no-cache"}
    if "gzip" in accepted_codings(request.headers.get("accept-encoding", "").encode("latin-1")):
        headers["Content-Encoding"] = "gzip"
        return Response(sent.gzipped, media_type="application/json", headers=headers)
    return Response(sent.body, media_type="application/json", headers=headers)


@router.get("/openapi.json")
async def openapi(request: Request) -> Response:
    """The merged document with a validator (`ETag`; `If-None-Match` → 304, by the kit's
    conditional GET) and gzip for clients that accept it: 500 KB of JSON is ~60 KB gzipped."""
    document: MergedDocument = request.app.state.merged_openapi
    return _answer(request, await document.encoded())


@cache
def asyncapi_encoded() -> Encoded:
    """The AsyncAPI document of the contracts this gateway was built with (made once)."""
    return encoded(asyncapi.document(EVENTS))


@router.get("/asyncapi.json")
async def asyncapi_document(request: Request) -> Response:
    """The event contracts as AsyncAPI 3.0 (NATS channels and the webhook channel), with an
    `ETag` and gzip as /openapi.json."""
    return _answer(request, asyncapi_encoded())


@router.get("/docs")
async def docs(request: Request) -> HTMLResponse:
    # assets served by the gateway itself: bureau networks often reach no CDN
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Junheng API",
        init_oauth={"appName": "Junheng"},
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon.png",
    )
