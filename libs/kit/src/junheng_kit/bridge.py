"""HTTP over NATS request-reply: the gateway's transport to the services.

Wire format (one NATS message each way, both sides in this module):
- request subject `rpc.<service>.http`, queue group `<service>`; header `Junheng-Http` holds
  JSON `{"method", "path", "query", "headers": [[name, value], …]}` (a list, so repeated headers
  survive); the payload is the body.
- reply: header `Junheng-Http` holds `{"status", "headers": [[name, value], …]}`; payload = body.
- a body too large for one message is deflated (zlib) when that shrinks it, header
  `Junheng-Body-Encoding: deflate`; if it still does not fit it travels through a JetStream
  object store in message-sized chunks; header `Junheng-Body-Object` names the object and the
  payload is empty. Requests go through `junheng-bodies`, which only the gateway writes; a
  service's replies through its own `junheng-replies-<service>`, which only it writes. The
  gateway removes both objects once it has the answer (the buckets' TTL removes any left).

The service side dispatches each request into its own ASGI app in-process, a task per request
bounded by a semaphore (nats-py runs a subscription's callbacks one at a time).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import ObjectMeta, ObjectMetaOptions
from pydantic_core import from_json, to_json

from junheng_kit.ids import uuid7
from junheng_kit.natsauth import BODIES_BUCKET, replies_bucket

log = logging.getLogger("junheng.bridge")

META = "Junheng-Http"
BODY_OBJECT = "Junheng-Body-Object"
# "deflate": the body (inline or in the object) is zlib-compressed; absent: as sent
BODY_ENCODING = "Junheng-Body-Encoding"
HEADROOM = 64 * 1024  # NATS headers and protocol overhead under max_payload

Headers = list[tuple[str, str]]


def header_json(value: Any) -> str:
    """JSON for a NATS header: pydantic-core's encoder (a header on every request, both ways),
    escaped to ASCII by the standard library in the rare case a value is not."""
    text = to_json(value).decode()
    return text if text.isascii() else json.dumps(value)


def rpc_subject(service: str) -> str:
    return f"rpc.{service}.http"


@dataclass(slots=True)
class BridgeResponse:
    status: int
    headers: Headers
    body: bytes
    # "deflate" when `body` is still the zlib stream it travelled as (asked for with
    # `keep_deflated`: the gateway hands it on as HTTP's deflate content-coding); None: as sent
    encoding: str | None = None

    async def decoded(self) -> bytes:
        """The body as the service sent it."""
        return await _inflated(self.body, self.encoding)


class NoResponder(Exception):
    """No replica of the service is subscribed (maps to 503)."""


class BrokerUnavailable(NoResponder):
    """The caller is not connected to NATS (reconnecting): nothing was sent (maps to 503).

    While nats-py reconnects it buffers a request and the caller would wait for its whole
    timeout — and the buffered request could still run after the caller gave up. Refusing at
    once tells the client for certain that the request did not run."""


class UpstreamTimeout(Exception):
    """The service did not answer in time (maps to 504)."""


class ConnectionLost(UpstreamTimeout):
    """The NATS connection dropped while the caller waited: the reply cannot come, and the
    request may or may not have run (maps to 504 at once, not after the whole timeout)."""


WATCH_SECONDS = 0.5  # how often a waiting request checks that the connection is still up


async def _put_object(js: JetStreamContext, data: bytes, chunk_size: int, bucket: str) -> str:
    name = f"b-{uuid7()}"
    store = await js.object_store(bucket)
    # chunks as large as a message may be (the library's default is 128 KiB: a 100 MB body
    # would be 800 acknowledged publishes)
    meta = ObjectMeta(name=name, options=ObjectMetaOptions(max_chunk_size=chunk_size))
    await store.put(name, data, meta=meta)
    return name


async def _take_object(js: JetStreamContext, name: str, bucket: str, *, delete: bool) -> bytes:
    store = await js.object_store(bucket)
    # into a buffer: the library's default appends each chunk to an immutable bytes object,
    # copying everything read so far every time (quadratic in the body's size)
    out = io.BytesIO()
    await store.get(name, writeinto=out)
    if delete:
        await _delete_object(js, name, bucket)
    return out.getvalue()


async def _delete_object(js: JetStreamContext, name: str, bucket: str) -> None:
    try:
        await (await js.object_store(bucket)).delete(name)
    except Exception:  # noqa: BLE001 - the bucket TTL removes it anyway
        log.debug("bridge.object_delete_failed", extra={"object": name, "bucket": bucket})


def _limit(nc: Client) -> int:
    return max(nc.max_payload - HEADROOM, 1024)


async def _payload(
    nc: Client, js: JetStreamContext, body: bytes, headers: dict[str, str], bucket: str
) -> bytes:
    """The message payload for `body`: itself when it fits; otherwise deflated when that
    shrinks it (JSON answers shrink about tenfold), inline if the deflated form fits, else
    through the object store `bucket`."""
    if len(body) <= _limit(nc):
        return body
    packed = await asyncio.to_thread(zlib.compress, body, 1)
    if len(packed) < len(body):
        headers[BODY_ENCODING] = "deflate"
        body = packed
        if len(body) <= _limit(nc):
            return body
    headers[BODY_OBJECT] = await _put_object(js, body, _limit(nc), bucket)
    return b""


async def _raw_body_of(
    js: JetStreamContext, msg: Msg, bucket: str, *, delete: bool
) -> tuple[bytes, str | None]:
    """The message's body as it travelled, and its encoding ("deflate" or None)."""
    headers = msg.headers or {}
    name = headers.get(BODY_OBJECT)
    body = await _take_object(js, name, bucket, delete=delete) if name else bytes(msg.data)
    return body, headers.get(BODY_ENCODING)


async def _inflated(body: bytes, encoding: str | None) -> bytes:
    if encoding == "deflate":
        return await asyncio.to_thread(zlib.decompress, body)
    return body


async def _body_of(js: JetStreamContext, msg: Msg, bucket: str) -> bytes:
    return await _inflated(*await _raw_body_of(js, msg, bucket, delete=False))


class BridgeClient:
    """Gateway side: forward one HTTP request to a service and return its response."""

    def __init__(self, nc: Client, js: JetStreamContext) -> None:
        self.nc, self.js = nc, js

    async def request(
        self,
        service: str,
        *,
        method: str,
        path: str,
        query: str,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        timeout: float,
        keep_deflated: bool = False,
    ) -> BridgeResponse:
        """The service's answer. `keep_deflated`: a body that travelled deflated is returned
        so (`encoding` "deflate") instead of inflated here."""
        nats_headers = {
            META: header_json(
                {
                    "method": method,
                    "path": path,
                    "query": query,
                    "headers": [list(h) for h in headers],
                }
            )
        }
        if not self.nc.is_connected:
            raise BrokerUnavailable(service)
        payload = await _payload(self.nc, self.js, body, nats_headers, BODIES_BUCKET)
        request_object = nats_headers.get(BODY_OBJECT)
        pending = asyncio.ensure_future(
            self.nc.request(rpc_subject(service), payload, timeout=timeout, headers=nats_headers)
        )
        try:
            while not (await asyncio.wait({pending}, timeout=WATCH_SECONDS))[0]:
                if not self.nc.is_connected:  # the reply would only come with the timeout
                    raise ConnectionLost(service)
            reply = pending.result()
        except NoRespondersError as exc:
            raise NoResponder(service) from exc
        except NatsTimeout as exc:
            raise UpstreamTimeout(service) from exc
        finally:
            if not pending.done():
                pending.cancel()  # the caller went away or the connection dropped
            if request_object is not None:  # the service has read it (or never will)
                _in_background(_delete_object(self.js, request_object, BODIES_BUCKET))
        meta = from_json((reply.headers or {}).get(META, "{}") or "{}")
        if "status" not in meta:
            raise UpstreamTimeout(service)  # not a bridge reply (e.g. JetStream ack): treat as lost
        body, encoding = await _raw_body_of(self.js, reply, replies_bucket(service), delete=True)
        if not keep_deflated:
            body, encoding = await _inflated(body, encoding), None
        return BridgeResponse(
            int(meta["status"]), [(k, v) for k, v in meta["headers"]], body, encoding
        )


class BridgeServer:
    """Service side: answer `rpc.<service>.http` by calling the service's own ASGI app."""

    def __init__(
        self, app: Any, nc: Client, js: JetStreamContext, service: str, *, concurrency: int = 256
    ) -> None:
        self.app, self.nc, self.js, self.service = app, nc, js, service
        self._semaphore = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._sub: Any = None

    async def start(self) -> None:
        self._sub = await self.nc.subscribe(
            rpc_subject(self.service),
            queue=self.service,
            cb=self._on_message,
            pending_msgs_limit=65536,
        )

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)

    async def _on_message(self, msg: Msg) -> None:
        await self._semaphore.acquire()
        task = asyncio.create_task(self._handle(msg))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._semaphore.release()

    async def _handle(self, msg: Msg) -> None:
        if not msg.reply:
            return
        try:
            meta = from_json((msg.headers or {}).get(META, "{}"))
            body = await _body_of(self.js, msg, BODIES_BUCKET)
            status, headers, out = await call_asgi(
                self.app,
                method=meta["method"],
                path=meta["path"],
                query=meta.get("query", ""),
                headers=[(k, v) for k, v in meta.get("headers", [])],
                body=body,
            )
        except Exception:  # answer 502 at once rather than let the gateway wait for 504
            log.exception("bridge.dispatch_failed")
            status, headers, out = (
                502,
                [("content-type", "application/problem+json")],
                json.dumps(
                    {
                        "type": "urn:junheng:problem:bad-gateway",
                        "title": "Bad gateway",
                        "status": 502,
                        "detail": "the service could not process the forwarded request",
                    }
                ).encode(),
            )
        reply_headers = {
            META: header_json({"status": status, "headers": [list(h) for h in headers]})
        }
        payload = await _payload(self.nc, self.js, out, reply_headers, replies_bucket(self.service))
        await self.nc.publish(msg.reply, payload, headers=reply_headers)


# requests being run for the bridge, kept referenced until they finish (also after the answer)
_AFTER_RESPONSE: set[asyncio.Task[None]] = set()


def _in_background(work: Any) -> None:
    """Run `work` without the caller waiting, referenced until it ends."""
    task = asyncio.ensure_future(work)
    _AFTER_RESPONSE.add(task)
    task.add_done_callback(_AFTER_RESPONSE.discard)


async def call_asgi(
    app: Any,
    *,
    method: str,
    path: str,
    query: str,
    headers: Headers,
    body: bytes,
    client: tuple[str, int] = ("nats", 0),
) -> tuple[int, Headers, bytes]:
    """Run one HTTP request through an ASGI app in-process and collect the response."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "client": client,
        "server": ("junheng-bridge", 80),
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        "state": {},
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # the client never disconnects mid-request
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    status = 500
    out_headers: Headers = []
    chunks: list[bytes] = []
    # resolved when the response is complete, or with the exception the app raised before
    answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    started = False

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, started
        if message["type"] == "http.response.start":
            started = True
            status = message["status"]
            out_headers.extend(
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])
            )
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False) and not answered.done():
                answered.set_result(None)

    async def run() -> None:
        try:
            await app(scope, receive, send)
        except asyncio.CancelledError:
            if not answered.done():  # stopped (shutdown) before answering: no answer to give
                answered.cancel()
            raise
        except Exception as error:
            if not started and not answered.done():
                answered.set_exception(error)  # raised before answering: the caller reports it
            elif started:
                # Starlette's error middleware answers (500, or 503 when the database is down)
                # and then re-raises for the server to log: keep the answer the app gave, as
                # uvicorn does
                log.exception("bridge.app_raised_after_responding", extra={"status": status})
            else:
                log.exception("bridge.app_raised_after_caller_left")
        finally:
            if not answered.done():  # the app returned without completing a response
                answered.set_result(None)

    # Answer once the response is complete, as an HTTP server does: work an app does after its
    # answer (the idempotency record stored after the response) must not delay the caller.
    task = asyncio.create_task(run())
    _AFTER_RESPONSE.add(task)  # referenced until it ends, even if this caller is cancelled
    task.add_done_callback(_AFTER_RESPONSE.discard)
    await answered  # a caller that goes away cancels this future, not the app's run
    return status, out_headers, b"".join(chunks)
