"""UUIDv7 (RFC 9562): time-ordered ids for rows and events."""

from __future__ import annotations

import os
import time
import uuid


def uuid7() -> uuid.UUID:
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0x2 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def uuid7_many(count: int) -> list[uuid.UUID]:
    """`count` UUIDv7 of the current millisecond, their random bits from one urandom call
    (bulk writes: 50,000 ids without 50,000 clock reads and big-int builds)."""
    prefix = ((time.time_ns() // 1_000_000) & ((1 << 48) - 1)).to_bytes(6, "big")
    raw = os.urandom(10 * count)
    out = []
    for start in range(0, 10 * count, 10):
        version = 0x70 | (raw[start] & 0x0F)
        variant = 0x80 | (raw[start + 2] & 0x3F)
        tail = bytes((version, raw[start + 1], variant)) + raw[start + 3 : start + 10]
        out.append(uuid.UUID(bytes=prefix + tail))
    return out
