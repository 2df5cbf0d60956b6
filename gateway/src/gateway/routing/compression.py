"""Compressed answers for clients that ask (`Accept-Encoding`): a 电脑派位 result of 200,000
families is 128 MB of JSON and about a quarter of that deflated.

An answer that crossed NATS deflated (a body too large for one message is, when that shrinks it)
is handed on as it travelled, as HTTP's `deflate` coding (the zlib format, RFC 9110 §8.4.1.2),
when the client accepts that: the gateway neither inflates nor compresses it. Other large JSON
or text answers are compressed here (gzip preferred, level 1: fast, most of the gain). Answers
carrying an ETag are never compressed, so validators stay strong and `If-Match` keeps working;
nor are small ones, binary formats (PDF, XLSX, Parquet are compressed already) or answers the
service encoded itself.
"""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import Sequence

MIN_BYTES = 16 * 1024  # below this the header bytes and the CPU are not worth it
INLINE_BYTES = 256 * 1024  # compressed on the event loop up to this size, on a thread above
COMPRESSIBLE_TYPES = (
    "application/json",
    "application/problem+json",
    "application/geo+json",
    "application/x-ndjson",
    "text/",
)
CODINGS = ("gzip", "deflate")  # in order of preference

Headers = Sequence[tuple[bytes, bytes]]


def accepted_codings(header: bytes) -> frozenset[str]:
    """The content codings an `Accept-Encoding` value allows (q > 0); `*` stands for those of
    ours it does not refuse by name."""
    allowed: set[str] = set()
    refused: set[str] = set()
    for part in header.decode("latin-1").split(","):
        name, _, params = part.partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        name = name.strip().lower()
        if name:
            (allowed if quality > 0 else refused).add(name)
    if "*" in allowed:
        allowed |= set(CODINGS) - refused
    return frozenset(allowed - {"*"})


def compressible(status: int, headers: Headers, size: int) -> bool:
    """An answer worth compressing for a client that accepts it (and so one that varies by
    `Accept-Encoding`)."""
    if status < 200 or status in (204, 206, 304) or size < MIN_BYTES:
        return False
    content_type = ""
    for name, value in headers:
        if name in (b"content-encoding", b"etag", b"content-range"):
            return False
        if name == b"content-type":
            content_type = value.decode("latin-1").lower()
    return content_type.startswith(COMPRESSIBLE_TYPES)


async def compress(body: bytes, coding: str) -> bytes:
    def run() -> bytes:
        if coding == "gzip":
            return gzip.compress(body, compresslevel=1, mtime=0)
        return zlib.compress(body, 1)

    return run() if len(body) <= INLINE_BYTES else await asyncio.to_thread(run)


def with_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`Vary: Accept-Encoding` added to the service's own `Vary`, if any."""
    for index, (name, value) in enumerate(headers):
        if name == b"vary":
            if b"accept-encoding" not in value.lower() and value.strip() != b"*":
                headers[index] = (name, value + b", Accept-Encoding")
            return headers
    headers.append((b"vary", b"Accept-Encoding"))
    return headers
