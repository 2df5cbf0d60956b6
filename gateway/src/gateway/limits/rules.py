"""Rate-limit arithmetic (no I/O): GCRA, the merge of replicas' counts, the RateLimit fields.

GCRA (the generic cell rate algorithm, ITU-T I.371) is a token bucket kept as one number per
client, its theoretical arrival time `tat`: each admitted request moves it `interval` (1 / rate)
later; a request at `now` is admitted while `max(tat, now) + interval - tolerance <= now`, where
`tolerance` is `burst × interval`. A bucket that has refilled is a `tat` in the past, so one
float per client is the whole state and it can live in a KV entry shared by the replicas.
"""

import math
from dataclasses import dataclass

EPSILON = 1e-9  # float noise: 0.1 × 3 is not 0.3


@dataclass(frozen=True, slots=True)
class Policy:
    """`burst` requests at once, then `rate_per_second`; `name` labels the RateLimit fields and
    the keys of the shared bucket."""

    name: str
    rate_per_second: float
    burst: int

    @property
    def interval(self) -> float:
        return 1.0 / self.rate_per_second

    @property
    def tolerance(self) -> float:
        return self.burst * self.interval

    @property
    def window_seconds(self) -> int:
        """The time an emptied bucket takes to fill again (whole seconds, at least 1)."""
        return max(1, math.ceil(self.burst / self.rate_per_second - EPSILON))

    @property
    def quota(self) -> int:
        """Requests a client may count on within `window_seconds`, starting with a full bucket."""
        return max(self.burst, math.floor(self.rate_per_second * self.window_seconds + EPSILON))

    def share(self, sync_seconds: float) -> int:
        """What one replica may admit for a client between two reconciliations: rate × sync
        interval, at least one request. It bounds the overshoot of the whole deployment."""
        return max(1, math.floor(self.rate_per_second * sync_seconds + EPSILON))


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    remaining: int  # requests left after this one (0 when refused)
    reset_seconds: int  # until one more request is available again (≥ 1)


def admit(policy: Policy, tat: float, now: float) -> tuple[Decision, float]:
    """The decision for one request at `now` and the `tat` after it (unchanged when refused)."""
    new_tat = max(tat, now) + policy.interval
    conforms_at = new_tat - policy.tolerance  # the earliest time this request is within limits
    if conforms_at > now + EPSILON:
        return Decision(False, 0, whole_seconds(conforms_at - now)), tat
    spare = (now - conforms_at) / policy.interval  # requests still available after this one
    remaining = math.floor(spare + EPSILON)
    until_next = (remaining + 1 - spare) * policy.interval
    return Decision(True, remaining, whole_seconds(until_next)), new_tat


def whole_seconds(seconds: float) -> int:
    """Delay-seconds for Retry-After and `t=`: rounded up, at least 1."""
    return max(1, math.ceil(seconds - EPSILON))


def merged(
    stored: float | None,
    *,
    tat: float,
    pending: int,
    first_at: float,
    interval: float,
    dropped: float = 0.0,
) -> float:
    """The shared `tat` once this replica's `pending` requests (net of refunds) are added.

    `stored` is the value in the bucket now (None: no entry, a full bucket), which may already
    hold other replicas' requests; `tat` is this replica's own exact view (the value it last
    knew plus its requests since); `first_at` is when the first pending request came. The
    pending requests are charged after everything stored, as if they had all come at once at
    `first_at` or later, and never below this replica's own view: never less than an exact GCRA
    over the same requests would give, at most one sync interval more.

    `dropped` is how far the stored value fell below the one the view was built on: other
    replicas gave requests back (`SharedLimiter.release`), or the entry expired (`math.inf`).
    The view is lowered by as much before it serves as the floor (GCRA moves at most as far as
    its starting value does), so a request another replica reserved and gave back does not
    stay counted here.
    """
    floor = tat - dropped
    if pending == 0:
        return floor if stored is None else max(stored, floor)
    start = first_at if stored is None else max(stored, first_at)
    return max(start + pending * interval, floor)


def fell_by(before: float | None, after: float | None, *, since: float = -math.inf) -> float:
    """How far a stored value fell from `before` to `after` (None: no entry, a full bucket), for a
    view whose own requests came at `since` or later: values at or below `since` all give the
    same GCRA over them, so only the part above it counts. 0 when the value rose or stayed."""
    if before is None:
        return 0.0
    was = max(before, since)
    now = since if after is None else max(after, since)
    return max(0.0, was - now)


def policy_field(policy: Policy) -> str:
    """A `RateLimit-Policy` item (draft-ietf-httpapi-ratelimit-headers-10 §3): the quota a client
    can count on (`q`) per window of `w` seconds."""
    return f'"{policy.name}";q={policy.quota};w={policy.window_seconds}'


def limit_field(policy: Policy, decision: Decision) -> str:
    """A `RateLimit` item (draft-10 §4): `r` requests remaining, more quota in `t` seconds."""
    return f'"{policy.name}";r={decision.remaining};t={decision.reset_seconds}'
