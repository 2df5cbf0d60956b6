"""Per-client token bucket (in this process; N gateway replicas allow N times the rate)."""

import math
import time
from dataclasses import dataclass, field

MAX_CLIENTS = 100_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    rate_per_second: float
    burst: int
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def acquire(self, client_id: str, now: float | None = None) -> float:
        """Take one token; 0.0 when allowed, else the seconds until a token is available."""
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(client_id)
        if bucket is None:
            if len(self._buckets) >= MAX_CLIENTS:
                self._forget_full(now)
            bucket = self._buckets[client_id] = _Bucket(float(self.burst), now)
        else:
            bucket.tokens = min(
                float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate_per_second
            )
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate_per_second

    def _forget_full(self, now: float) -> None:
        """A bucket that has refilled is the same as no bucket: drop those."""
        refill = self.burst / self.rate_per_second
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < refill}

    @staticmethod
    def retry_after(wait_seconds: float) -> str:
        return str(max(1, math.ceil(wait_seconds)))
