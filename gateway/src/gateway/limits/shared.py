"""Rate limits shared by every gateway replica through the JetStream KV bucket
`junheng-ratelimits`, decided in memory.

Each client (or token-endpoint subject) has one GCRA value in the bucket (`rules.py`). A request
is decided on this replica's view: the value it last read or wrote plus its own requests since,
so it does not wait for NATS (unless its client bursts past its share, below). Every
`sync_seconds` a background task reconciles the clients that had requests: it adds this
replica's requests to the stored value with a compare-and-set update (on a conflict it reads the
value another replica wrote and adds to that), and the value written, which holds every
replica's flushed requests, becomes the view.

Overshoot: between two reconciliations a replica admits at most `Policy.share` requests of a
client on its own view (rate × sync interval, at least 1); a request beyond that share waits
for the next reconciliation, started at once (a client that bursts past rate × sync interval on
one replica, never one within its rate). A client therefore gets at most
`replicas × share` requests more than one exact limiter would allow, over any interval: with
the defaults (200/s, 0.1 s) and three replicas 60 requests, less than a sixth of the burst.

A request given back (`release`: a token request whose secret was right) lowers the stored
value; another replica whose view still holds it lowers its view by as much at its next
reconciliation, or, when it is about to refuse, reads the stored value first (at most once per
sync interval and subject).

While NATS or the bucket is unavailable each replica limits on its own view (N replicas then
allow N times the rate), logs `gateway.rate_limits_local`, and reconciles again once it can:
no request is refused because the limiter cannot reach NATS, and none waits for it longer than
`MAX_WAIT_SECONDS`, only while the failure is being noticed.
"""

import asyncio
import contextlib
import hashlib
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BadRequestError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue
from prometheus_client import Counter, Gauge

from gateway.limits import rules
from gateway.limits.rules import Decision, Policy

log = logging.getLogger("gateway.limits")

RATE_LIMITS_BUCKET = "junheng-ratelimits"  # owned by the gateway: only it reads and writes it
BUCKET_STREAM = f"KV_{RATE_LIMITS_BUCKET}"
BUCKET_MAX_BYTES = 32 * 1024 * 1024  # in memory on each NATS node (max_memory_store 256 MB)
MIN_MAX_AGE_SECONDS = 60.0
KV_TIMEOUT_SECONDS = 1.0  # a reconciliation that takes longer leaves the replica on its own view
MAX_WAIT_SECONDS = 1.0  # a request past its share waits at most this long for a reconciliation
REOPEN_SECONDS = 5.0  # how often a replica without the bucket tries to open it again
CAS_ATTEMPTS = 4
CONCURRENT_UPDATES = 64
PRUNE_ABOVE = 1000  # subjects kept before every round drops the ones whose bucket is full

REFUSED = Counter(
    "junheng_gateway_rate_limited_total", "Requests refused by a rate limit", ["policy"]
)
SYNC_FAILURES = Counter(
    "junheng_gateway_rate_limit_sync_failures_total",
    "Reconciliations with the shared rate-limit bucket that failed (the replica used its view)",
)
SHARED = Gauge(
    "junheng_gateway_rate_limits_shared",
    "1 while this replica reconciles its rate limits through NATS, 0 while it limits alone",
)


class Contended(Exception):
    """Other replicas kept updating the same entry: this round gives up on it."""


@dataclass(slots=True, eq=False)
class _Subject:
    """This replica's view of one (policy, subject)."""

    policy: Policy
    key: str  # in the bucket
    tat: float = -math.inf  # the view: last known shared value plus own requests since
    stored: float | None = None  # the value last read from or written to the bucket
    revision: int = 0  # its revision (0: no entry known)
    pending: int = 0  # admitted since the last reconciliation began, net of refunds
    first_at: float = math.inf  # when the first of them came
    in_flight: int = 0  # admitted before the reconciliation under way began
    checked_at: float = -math.inf  # when a refusal last read the stored value (loop time)


def bucket_key(policy: Policy, subject: str) -> str:
    """Client ids and addresses are not valid key tokens (`:`, spaces, any length): a digest."""
    digest = hashlib.blake2b(subject.encode(), digest_size=16).hexdigest()
    return f"{policy.name}.{digest}"


def bucket_max_age(policies: Iterable[Policy]) -> float:
    """Entries outlive the longest time a bucket takes to fill again: an expired entry is then
    the same as a full bucket."""
    longest = max((p.tolerance for p in policies), default=0.0)
    return max(MIN_MAX_AGE_SECONDS, math.ceil(2 * longest))


async def open_bucket(js: JetStreamContext, *, replicas: int, max_age: float) -> KeyValue:
    """Create the bucket, or open it as another replica created it (raising its TTL if this
    replica's policies need a longer one). History 1: only the current value matters; memory
    storage: the values are worthless after `max_age` and cheap to lose."""
    config = KeyValueConfig(
        bucket=RATE_LIMITS_BUCKET,
        description="Gateway rate limits shared by its replicas (GCRA values)",
        history=1,
        ttl=max_age,
        max_bytes=BUCKET_MAX_BYTES,
        storage=StorageType.MEMORY,
        replicas=replicas,
        direct=True,
    )
    try:
        return await js.create_key_value(config)
    except BadRequestError:  # it exists with another configuration
        pass
    info = await js.stream_info(BUCKET_STREAM)
    if (info.config.max_age or 0) < max_age:
        info.config.max_age = max_age
        await js.update_stream(info.config)
        log.info("gateway.rate_limits_bucket_ttl_raised", extra={"max_age_seconds": max_age})
    return await js.key_value(RATE_LIMITS_BUCKET)


class SharedLimiter:
    """GCRA limits per (policy, subject), decided in memory and reconciled through NATS KV."""

    def __init__(
        self,
        policies: Sequence[Policy],
        *,
        sync_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # wall-clock time: the stored values are compared across replicas (NTP-synchronised)
        self.sync_seconds = sync_seconds
        self.max_age = bucket_max_age(policies)
        self._shares = {p.name: p.share(sync_seconds) for p in policies}
        self._clock = clock
        self._subjects: dict[tuple[str, str], _Subject] = {}
        self._nats: Client | None = None
        self._js: JetStreamContext | None = None
        self._store: KeyValue | None = None
        self._replicas = 1
        self._reopen_at = 0.0
        self._shared = False
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._next_round = asyncio.Event()  # set when the round after the current one ends
        self._rounds = 0

    @property
    def is_shared(self) -> bool:
        """True while the last reconciliation with the bucket worked."""
        return self._shared

    async def acquire(self, policy: Policy, subject: str) -> Decision:
        """Count one request of `subject` under `policy` if it is within the limit."""
        key = (policy.name, subject)
        deadline = -1.0
        while True:
            entry = self._subjects.get(key)
            if entry is None:
                entry = self._subjects[key] = _Subject(policy, bucket_key(policy, subject))
            now = self._clock()
            decision, tat = rules.admit(policy, entry.tat, now)
            if not decision.allowed:
                if await self._refreshed(entry):
                    continue
                REFUSED.labels(policy.name).inc()
                return decision
            unreconciled = entry.pending + entry.in_flight
            if unreconciled >= self._shares[policy.name] and self._shared:
                # past this replica's share: see what the others did first (one round trip)
                loop_now = asyncio.get_running_loop().time()
                if deadline < 0:
                    deadline = loop_now + MAX_WAIT_SECONDS
                if loop_now < deadline and await self._reconciled(deadline - loop_now):
                    continue
            entry.tat = tat
            entry.pending += 1
            entry.first_at = min(entry.first_at, now)
            return decision

    async def _refreshed(self, entry: _Subject) -> bool:
        """Before a refusal: read the stored value when this replica has nothing of its own
        unreconciled and has not read it within the last sync interval; True when the view was
        lowered. A view only runs ahead of the bucket through refunds (`release`) made on other
        replicas after this one last read it: without this read a refused subject would stay
        refused here until this replica reconciled it again, which a refused subject never does.
        """
        store = self._store
        loop_now = asyncio.get_running_loop().time()
        if (
            store is None
            or not self._shared
            or entry.pending
            or entry.in_flight
            or loop_now - entry.checked_at < self.sync_seconds
        ):
            return False
        entry.checked_at = loop_now
        try:
            stored, revision = await asyncio.wait_for(_read(store, entry.key), KV_TIMEOUT_SECONDS)
        except (nats.errors.Error, TimeoutError):
            return False
        if entry.pending or entry.in_flight:  # admitted meanwhile: the next round reconciles
            return False
        view = rules.merged(
            stored,
            tat=entry.tat,
            pending=0,
            first_at=math.inf,
            interval=entry.policy.interval,
            dropped=rules.fell_by(entry.stored, stored),
        )
        entry.stored, entry.revision = stored, revision
        if view >= entry.tat:
            return False
        entry.tat = view
        return True

    def release(self, policy: Policy, subject: str) -> None:
        """Give back one request counted by `acquire` (it turned out not to count)."""
        entry = self._subjects.get((policy.name, subject))
        if entry is None:  # forgotten: its bucket was full again
            return
        entry.tat -= policy.interval
        entry.pending -= 1
        entry.first_at = min(entry.first_at, self._clock())

    async def start(self, nc: Client, *, replicas: int) -> None:
        """Open the bucket (or keep trying in the background) and start reconciling."""
        self._nats, self._js, self._replicas = (
            nc,
            nc.jetstream(timeout=KV_TIMEOUT_SECONDS),
            replicas,
        )
        await self._open()
        self._task = asyncio.create_task(self._run(), name="gateway-rate-limits")
        self._task.add_done_callback(self._ended)

    async def stop(self) -> None:
        """Stop reconciling; hand the last requests to the bucket if NATS is there."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._set_shared(False, "stopped", quiet=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._round(), KV_TIMEOUT_SECONDS)

    async def reconcile(self) -> bool:
        """One reconciliation now (tests and shutdown); whether the bucket was reached."""
        shared, reason = await self._round()
        self._set_shared(shared, reason)
        return shared

    async def _reconciled(self, timeout: float) -> bool:
        """Wait for a reconciliation that starts after now; False when it took too long."""
        finished = self._next_round
        self._wake.set()
        try:
            await asyncio.wait_for(finished.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.sync_seconds)
            self._wake.clear()
            finished, self._next_round = self._next_round, asyncio.Event()
            try:
                shared, reason = await self._round()
                self._set_shared(shared, reason)
            finally:
                finished.set()

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "gateway.rate_limits_stopped",
                exc_info=task.exception(),
                extra={"detail": "limits stay per replica until restart"},
            )
            self._set_shared(False, "reconciliation stopped")

    async def _open(self) -> None:
        shared, reason = await self._try_open()
        self._set_shared(shared, reason)

    async def _try_open(self) -> tuple[bool, str]:
        if self._js is None:
            return False, "not started"
        try:
            self._store = await open_bucket(self._js, replicas=self._replicas, max_age=self.max_age)
        except (nats.errors.Error, TimeoutError) as exc:
            self._reopen_at = time.monotonic() + REOPEN_SECONDS
            return False, f"bucket {RATE_LIMITS_BUCKET}: {exc!r}"
        return True, "bucket open"

    async def _round(self) -> tuple[bool, str]:
        """One reconciliation of every subject with requests; whether the bucket was reached."""
        self._rounds += 1
        connected = self._nats is not None and self._nats.is_connected
        if self._store is None and connected and time.monotonic() >= self._reopen_at:
            await self._try_open()
        store = self._store
        if store is None or not connected:
            return self._local_only("NATS is not connected" if store else "no bucket")
        batch = [
            (entry, entry.pending, entry.first_at, entry.tat, entry.stored)
            for entry in self._subjects.values()
            if entry.pending
        ]
        for entry, pending, *_ in batch:  # requests from now on belong to the next round
            entry.pending, entry.first_at, entry.in_flight = 0, math.inf, pending
        gate = asyncio.Semaphore(CONCURRENT_UPDATES)

        async def reconcile(
            entry: _Subject, pending: int, first_at: float, tat: float, base: float | None
        ) -> None:
            try:
                async with gate:
                    value, revision = await asyncio.wait_for(
                        self._update(store, entry, pending, first_at, tat, base),
                        KV_TIMEOUT_SECONDS,
                    )
            finally:
                entry.in_flight = 0
            entry.stored, entry.revision = value, revision
            # the view held `tat` when the round began; the value written is below it only
            # when other replicas gave requests back: the view falls by as much
            entry.tat = rules.merged(
                value,
                tat=entry.tat,
                pending=entry.pending,
                first_at=entry.first_at,
                interval=entry.policy.interval,
                dropped=max(0.0, tat - value),
            )

        outcomes = await asyncio.gather(
            *(reconcile(*item) for item in batch), return_exceptions=True
        )
        if len(self._subjects) > PRUNE_ABOVE or self._rounds % 50 == 0:
            self._prune(self._clock())
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures:  # those requests stay in this replica's view only
            SYNC_FAILURES.inc()
            return False, f"{len(failures)} of {len(batch)} updates failed: {failures[0]!r}"
        return True, "reconciled"

    async def _update(
        self,
        store: KeyValue,
        entry: _Subject,
        pending: int,
        first_at: float,
        tat: float,
        base: float | None,
    ) -> tuple[float, int]:
        """Add `pending` requests to the stored value with compare-and-set; `tat` is the view
        built on the stored value `base`."""
        stored, revision = entry.stored, entry.revision
        interval = entry.policy.interval
        for _ in range(CAS_ATTEMPTS):
            value = rules.merged(
                stored,
                tat=tat,
                pending=pending,
                first_at=first_at,
                interval=interval,
                dropped=rules.fell_by(base, stored, since=first_at),
            )
            try:
                revision = await store.update(entry.key, f"{value:.6f}".encode(), last=revision)
            except KeyWrongLastSequenceError:  # another replica wrote (or the entry expired)
                stored, revision = await _read(store, entry.key)
                continue
            return value, revision
        raise Contended(entry.key)

    def _local_only(self, reason: str) -> tuple[bool, str]:
        """Without NATS the requests stay in this replica's view and are not added later."""
        for entry in self._subjects.values():
            entry.pending, entry.first_at = 0, math.inf
        return False, reason

    def _prune(self, now: float) -> None:
        """A subject whose bucket is full again is the same as an unknown one."""
        self._subjects = {
            key: entry
            for key, entry in self._subjects.items()
            if entry.pending or entry.in_flight or entry.tat > now
        }

    def _set_shared(self, shared: bool, reason: str, *, quiet: bool = False) -> None:
        if shared == self._shared:
            return
        self._shared = shared
        SHARED.set(1 if shared else 0)
        if quiet:
            return
        if shared:
            log.info("gateway.rate_limits_shared", extra={"bucket": RATE_LIMITS_BUCKET})
        else:
            log.warning(
                "gateway.rate_limits_local",
                extra={"bucket": RATE_LIMITS_BUCKET, "reason": reason},
            )


async def _read(store: KeyValue, key: str) -> tuple[float | None, int]:
    try:
        entry = await store.get(key)
    except KeyNotFoundError as missing:  # expired, or deleted by hand: a full bucket
        marker = missing.entry  # a deletion leaves a marker: the next update follows it
        return None, (marker.revision or 0) if marker is not None else 0
    try:
        return float(entry.value or b""), entry.revision or 0
    except ValueError:  # not ours: overwrite it
        return None, entry.revision or 0
