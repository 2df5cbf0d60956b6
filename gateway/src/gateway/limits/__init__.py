"""Rate limits of the gateway, shared by its replicas through the JetStream KV bucket
`junheng-ratelimits` (`shared.py`): per client on the forwarded routes, per client id and per
source address on `POST /oauth/token` (`token_throttle.py`); the arithmetic in `rules.py`."""

from gateway.limits.shared import RATE_LIMITS_BUCKET

__all__ = ["RATE_LIMITS_BUCKET"]
