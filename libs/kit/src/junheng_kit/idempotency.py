"""Idempotency-Key claims in the database: safe on every replica and through a crash.

A keyed POST first **claims** its (client, key) in the service's database: a row in state
`pending` with an owner (this request) and a lease. Whoever holds the claim runs the request; a
same-key request anywhere else — another replica, or the client's retry after a crash — finds
the row and is answered from it:

- `done`: the first answer again (`Idempotent-Replayed: true`);
- `pending` within its lease: 409 `idempotency_in_progress` with `Retry-After` — the first is
  still running (on this replica the retry waits for it instead, `IdempotencyMiddleware`);
- `pending` past its lease: the owner died before committing; the claim is taken over (the
  owner column compared and swapped) and the request runs;
- another body under the same key: 422 `idempotency_key_reused`.

The claim **completes in the effect's own transaction**: the owner writes the answer into its row
(`complete`, conditional on still owning it) and commits it together with what the request
wrote. A request that loses its claim (its lease ran out and a retry took over) fails to
complete and rolls back: never two effects, and a committed effect always has its answer. The
request's session is handed to the middleware to do so (`session_for_request`), and a use-case
that commits its own transaction (group commit) calls `complete` itself before committing.

A use-case run by group commit (`junheng_kit.group_commit`) also **claims in its own
transaction** (`claim_within`, `settle_within`): the claims of a whole batch are read with one
statement and written with the answers in one more, instead of a transaction of their own before
the request runs. A key nobody holds yet is then claimed by the batch's commit itself; a
concurrent writer of the same key (another replica) makes the insert find its row, and the batch
is rolled back (`ClaimLost`) and retried item by item, when the key is answered from that row.

A request that runs longer than a third of the lease renews it, so only a dead owner's claim
ever expires.

Keys are remembered for a **retention** period (24 hours by default, as payment APIs do): every
replica sweeps records older than that (`purge_expired`, `Sweeper`) — a plain DELETE by age, so
replicas sweeping at once do no harm. A claim still pending and inside its lease is never swept.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal, cast

from sqlalchemy import Table, delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from junheng_kit.db import IDEMPOTENCY_CLAIM, insert_ignoring_conflicts, is_database_unavailable
from junheng_kit.i18n import t
from junheng_kit.ids import uuid7
from junheng_kit.problems import Conflict, FieldError
from junheng_kit.tables import IdempotencyRecord
from junheng_kit.timeutil import utcnow

log = logging.getLogger("junheng.idempotency")

CLAIM_STATE = IDEMPOTENCY_CLAIM  # the request's claim, in the ASGI scope's state
PENDING, DONE = "pending", "done"
LEASE_SECONDS = 30.0

TABLE = cast(Table, IdempotencyRecord.__table__)


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), query, body])).hexdigest()


class ClaimLost(Exception):
    """The request's claim was taken over (its lease ran out): it must not commit."""


def in_progress(retry_after: int = 1) -> Conflict:
    return Conflict(
        t(
            "同一幂等键的请求仍在处理中，请稍后重试",
            "a request with this Idempotency-Key is still being processed; retry later",
        ),
        FieldError(
            "header.idempotency-key",
            "idempotency_in_progress",
            t(
                "使用此幂等键的第一个请求尚未完成",
                "the first request with this key has not finished",
            ),
        ),
        headers={"Retry-After": str(retry_after)},
    )


@dataclass(eq=False)
class Claim:
    """This request's hold on (client, key)."""

    client_id: str
    key: str
    method: str
    path: str
    fingerprint: str
    owner: str = field(default_factory=lambda: str(uuid7()))
    # set by session_for_request: the request's open session, for the middleware to commit
    # together with the answer
    session: AsyncSession | None = None
    completed: bool = False  # the answer was written in the effect's transaction
    answer: tuple[int, dict[str, str], bytes] | None = None
    lease: timedelta = timedelta(seconds=LEASE_SECONDS)  # the store's (IdempotencyMiddleware)
    # claimed by its use-case in the effect's transaction (`claim_within`), not before the
    # request runs; `outcome` is what that claim found (None: the use-case never ran)
    deferred: bool = False
    outcome: Outcome | None = None
    stored: bool = False  # the claim's row exists (else `settle_within` inserts it)

    def _mine(self) -> Any:
        return (
            (TABLE.c.client_id == self.client_id)
            & (TABLE.c.key == self.key)
            & (TABLE.c.owner == self.owner)
            & (TABLE.c.state == PENDING)
        )

    async def complete(
        self, session: AsyncSession, status: int, headers: dict[str, str], body: bytes
    ) -> None:
        """Write the answer into the claim, in `session`'s transaction (the effect's); raises
        `ClaimLost` when the claim is no longer this request's."""
        result = await session.execute(
            update(TABLE)
            .where(self._mine())
            .values(state=DONE, status=status, headers=headers, body=body, owner=None)
        )
        if cast(Any, result).rowcount != 1:
            raise ClaimLost(self.key)
        self.completed = True
        self.answer = (status, headers, body)


Answer = tuple[Claim, int, dict[str, str], bytes]  # the claim, status, headers, body


@dataclass(frozen=True, slots=True)
class Wanted:
    """A keyed request asking for its claim."""

    claim: Claim


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: Literal["claimed", "replay", "reused", "in_progress", "unclaimed"]
    record: Any = None  # the stored row for a replay
    retry_after: int = 1


class ClaimStore:
    """Claims, answers and releases in one service database (`sessionmaker`)."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], lease_seconds: float = LEASE_SECONDS
    ) -> None:
        self.sessionmaker = sessionmaker
        self.lease = timedelta(seconds=lease_seconds)

    async def claim(self, wanted: Sequence[Wanted]) -> list[Outcome]:
        """Claim every wanted (client, key) not held by someone else, in one transaction
        (callers are gathered by a `Batcher`). A claim the database refuses (PostgreSQL: a
        client id longer than its column) costs the others nothing: each is then claimed alone,
        and that one runs unclaimed, as a request without a key would."""
        try:
            return await self._claim(wanted)
        except Exception as error:
            if is_database_unavailable(error):
                raise
            if len(wanted) == 1:
                log.warning("idempotency.claim_refused", exc_info=True)
                return [Outcome("unclaimed")]
        return [(await self.claim([w]))[0] for w in wanted]

    async def _claim(self, wanted: Sequence[Wanted]) -> list[Outcome]:
        now = utcnow()
        async with self.sessionmaker() as session:
            rows = [_row(w.claim, now) for w in wanted]
            statement = insert_ignoring_conflicts(session, TABLE, "client_id", "key").returning(
                TABLE.c.client_id, TABLE.c.key, TABLE.c.owner
            )
            claimed = {
                (r.client_id, r.key)
                for r in (await session.execute(statement, rows)).all()
                if r.owner in {w.claim.owner for w in wanted}
            }
            outcomes: list[Outcome] = []
            for w in wanted:
                pair = (w.claim.client_id, w.claim.key)
                if pair in claimed:
                    outcomes.append(Outcome("claimed"))
                else:
                    outcomes.append(await self._held(session, w.claim, now))
            await session.commit()
        return outcomes

    async def _held(self, session: AsyncSession, claim: Claim, now: Any) -> Outcome:
        row = (
            await session.execute(
                select(TABLE).where(TABLE.c.client_id == claim.client_id, TABLE.c.key == claim.key)
            )
        ).one_or_none()
        if row is None:  # released between the insert and this read: ask again
            return Outcome("in_progress")
        return await _judge(session, claim, row, now, self.lease)

    async def renew(self, claim: Claim) -> None:
        async with self.sessionmaker() as session:
            await session.execute(
                update(TABLE).where(claim._mine()).values(expires_at=utcnow() + self.lease)
            )
            await session.commit()

    async def release(self, claim: Claim) -> None:
        """Give the claim up (the request failed with 5xx or was not kept): a retry runs."""
        async with self.sessionmaker() as session:
            await session.execute(delete(TABLE).where(claim._mine()))
            await session.commit()

    async def answer(
        self, claims: Sequence[tuple[Claim, int, dict[str, str], bytes]]
    ) -> list[None]:
        """Store answers of requests whose effect (if any) committed on its own (a 4xx, an
        endpoint without a session), in one transaction."""
        async with self.sessionmaker() as session:
            for claim, status, headers, body in claims:
                await session.execute(
                    update(TABLE)
                    .where(claim._mine())
                    .values(state=DONE, status=status, headers=headers, body=body, owner=None)
                )
            await session.commit()
        return [None] * len(claims)


async def _judge(
    session: AsyncSession, claim: Claim, row: Any, now: Any, lease: timedelta
) -> Outcome:
    """What a stored claim row means for `claim`; a pending row past its lease is taken over."""
    if row.fingerprint != claim.fingerprint:
        return Outcome("reused")
    if row.state == DONE:
        return Outcome("replay", row)
    if row.expires_at is not None and row.expires_at > now:
        return Outcome("in_progress")
    taken = await session.execute(  # the owner died before committing: take it over
        update(TABLE)
        .where(
            TABLE.c.client_id == claim.client_id,
            TABLE.c.key == claim.key,
            TABLE.c.state == PENDING,
            TABLE.c.owner == row.owner,
        )
        .values(owner=claim.owner, expires_at=now + lease)
    )
    return Outcome("claimed" if cast(Any, taken).rowcount == 1 else "in_progress")


async def claim_within(session: AsyncSession, claims: Sequence[Claim]) -> list[Outcome]:
    """Claim keys in the caller's open transaction (group commit), with one read for all of
    them. A key nobody holds is claimed provisionally: its row is written by `settle_within`
    in the same transaction, which fails with `ClaimLost` if another writer got there first. A
    key held or answered is judged as `ClaimStore.claim` judges it; the same key twice in one
    call is in progress the second time. Sets each claim's `outcome`, and forgets what an
    earlier attempt of the same claim (a batch rolled back) recorded."""
    now = utcnow()
    pairs = list({(c.client_id, c.key) for c in claims})
    found = {
        (r.client_id, r.key): r
        for r in (
            await session.execute(
                select(TABLE).where(tuple_(TABLE.c.client_id, TABLE.c.key).in_(pairs))
            )
        ).all()
    }
    seen: set[tuple[str, str]] = set()
    outcomes: list[Outcome] = []
    for claim in claims:
        pair = (claim.client_id, claim.key)
        claim.completed, claim.answer, claim.stored = False, None, False
        row = found.get(pair)
        if pair in seen:
            outcome = Outcome("in_progress")
        elif row is None:
            outcome = Outcome("claimed")
        else:
            outcome = await _judge(session, claim, row, now, claim.lease)
            claim.stored = outcome.kind == "claimed"  # taken over: its row is this claim's now
        seen.add(pair)
        claim.outcome = outcome
        outcomes.append(outcome)
    return outcomes


async def settle_within(
    session: AsyncSession,
    answered: Sequence[tuple[Claim, int, dict[str, str], bytes]],
    unanswered: Sequence[Claim] = (),
) -> None:
    """Write the claims `claim_within` took, in the same transaction: `answered` ones with
    their answer (done), `unanswered` ones as pending (the middleware stores the answer it
    sends, as for a claim taken before the request). One insert for all new rows; raises
    `ClaimLost` when another writer holds one of the keys meanwhile (roll back)."""
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for claim, status, headers, body in answered:
        if claim.stored:
            await claim.complete(session, status, headers, body)
        else:
            rows.append(_row(claim, now, status=status, headers=headers, body=body))
    rows += [_row(claim, now) for claim in unanswered if not claim.stored]
    if rows:
        statement = insert_ignoring_conflicts(session, TABLE, "client_id", "key").returning(
            TABLE.c.client_id, TABLE.c.key
        )
        written = (await session.execute(statement, rows)).all()
        if len(written) != len(rows):
            raise ClaimLost(", ".join(sorted({r["key"] for r in rows})))
    for claim, status, headers, body in answered:
        claim.completed, claim.answer = True, (status, headers, body)
    for claim in unanswered:
        claim.stored = True


def _row(
    claim: Claim,
    now: Any,
    *,
    status: int | None = None,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> dict[str, Any]:
    """A claim's new row: pending under this claim's owner and lease, or done with `status`."""
    pending = status is None
    return {
        "client_id": claim.client_id,
        "key": claim.key,
        "method": claim.method,
        "path": claim.path,
        "fingerprint": claim.fingerprint,
        "state": PENDING if pending else DONE,
        "owner": claim.owner if pending else None,
        "expires_at": now + claim.lease if pending else None,
        "status": 0 if pending else status,
        "headers": headers or {},
        "body": body,
        "created_at": now,
    }


async def purge_expired(
    sessionmaker: async_sessionmaker[AsyncSession], retention: timedelta, *, batch: int = 5000
) -> int:
    """Delete the records created more than `retention` ago (never a pending claim inside its
    lease), in batches of `batch` rows so no transaction grows large; the number deleted."""
    deleted = 0
    while True:
        now = utcnow()
        expired = (TABLE.c.created_at < now - retention) & (
            (TABLE.c.state == DONE) | (TABLE.c.expires_at.is_(None)) | (TABLE.c.expires_at < now)
        )
        async with sessionmaker() as session, session.begin():
            ids = select(TABLE.c.id).where(expired).limit(batch).scalar_subquery()
            result = await session.execute(delete(TABLE).where(TABLE.c.id.in_(ids)))
        count = int(getattr(result, "rowcount", 0) or 0)
        deleted += count
        if count < batch:
            return deleted


class Sweeper:
    """Runs `purge_expired` every `period` seconds until stopped (one per process; the first
    sweep a period after start). A failed sweep is logged and tried again next period."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        retention: timedelta,
        period: float,
    ) -> None:
        self.sessionmaker, self.retention, self.period = sessionmaker, retention, period
        self.task: asyncio.Task[None] | None = None

    def start(self) -> Sweeper:
        self.task = asyncio.create_task(self._run(), name="idempotency-sweeper")
        return self

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.period)
            try:
                deleted = await purge_expired(self.sessionmaker, self.retention)
            except Exception as error:  # noqa: BLE001 - the next period tries again
                log.warning("idempotency.sweep_failed", extra={"error": repr(error)})
            else:
                if deleted:
                    log.info("idempotency.swept", extra={"deleted": deleted})


class Renewal:
    """Renew a claim every third of its lease while its request runs (a timer only: most
    requests end long before the first renewal)."""

    def __init__(self, store: ClaimStore, claim: Claim) -> None:
        self.store, self.claim = store, claim
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None

    def __enter__(self) -> Renewal:
        self._timer = asyncio.get_running_loop().call_later(self._period(), self._start)
        return self

    def __exit__(self, *_: Any) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._task is not None:
            self._task.cancel()

    def _period(self) -> float:
        return self.store.lease.total_seconds() / 3

    def _start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="idempotency-renewal")

    async def _run(self) -> None:
        while True:
            try:
                await self.store.renew(self.claim)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001, S110 - the next period tries again
                pass
            await asyncio.sleep(self._period())
