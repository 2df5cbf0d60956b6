"""Group commit with the kit owning the transaction: one session, one commit for the items that
arrive together, each answered on its own.

A use-case that writes little per request (an application submission) spends most of its time on
the transaction around it. `GroupCommit` gathers concurrent items (`junheng_kit.batching`), opens
one session, hands them to the use-case as a batch — `use_case(session, items)` returns one
outcome per item: a result, or the `DomainError` refusing it — and commits. The use-case never
commits; it stays a set-based function over the batch, and the route, the fast route and any
other caller share it through `submit`.

Idempotency-Key claims of the items are taken and answered in the same transaction
(`junheng_kit.idempotency.claim_within`/`settle_within`): an item whose key is already answered,
reused with another body or in progress elsewhere is not run, and comes back as `Settled` (the
middleware answers it from the key's record); an item that ran has its answer (`answer(result)`)
committed with its effect. A route that submits here is declared to the middleware
(`build_service_app(claims_within=…)`) so that it does not claim the key beforehand.

A unique violation (another replica recorded the same thing between the check and the insert)
or a claim lost to another writer rolls the batch back; each item is then run alone, so only the
one concerned is refused — by the use-case's check, which now sees the other's row, by its key's
record (the same request sent to two replicas: the first's answer, replayed), by the
constraint's own answer if it loses a race again, or as still in progress.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from junheng_kit.batching import Batcher
from junheng_kit.db import wants_relay
from junheng_kit.idempotency import (
    Claim,
    ClaimLost,
    Outcome,
    claim_within,
    in_progress,
    settle_within,
)
from junheng_kit.integrity import problem_for_integrity_error
from junheng_kit.problems import DomainError

T = TypeVar("T")
R = TypeVar("R")

Answer = tuple[int, dict[str, str], bytes]  # status, headers, body


@dataclass(frozen=True, slots=True)
class Settled:
    """An item its Idempotency-Key answers (replayed, key reused, in progress): not run."""

    outcome: Outcome

    def response(self) -> Response:
        """What the route returns for it: the Idempotency-Key middleware, which knows the
        outcome (`Claim.outcome`), sends the key's answer instead of this one."""
        return Response(status_code=204)


class GroupCommit(Generic[T, R]):
    """`submit(item)` → the use-case's outcome for it, recorded in a transaction shared with the
    items that arrived meanwhile. `state` is the app's state (its `sessionmaker` and `relay`,
    read at each batch: tests swap the sessionmaker)."""

    def __init__(
        self,
        state: Any,
        use_case: Callable[[AsyncSession, Sequence[T]], Awaitable[Sequence[R | DomainError]]],
        *,
        claim_of: Callable[[T], Claim | None],
        answer: Callable[[R], Answer],
        name: str,
        max_batch: int = 256,
    ) -> None:
        self.state, self.use_case, self.claim_of, self.answer = state, use_case, claim_of, answer
        self.batcher: Batcher[T, R | DomainError | Settled] = Batcher(
            self._record, name=name, max_batch=max_batch
        )

    async def submit(self, item: T) -> R | DomainError | Settled:
        return await self.batcher.submit(item)

    async def _record(
        self, items: Sequence[T], *, again: bool = True
    ) -> list[R | DomainError | Settled | BaseException]:
        """`again`: a batch (even of one) that met a concurrent writer runs its items once more,
        alone, when their checks and keys see what the other committed."""
        async with self.state.sessionmaker() as session:
            try:
                outcomes = await self._run(session, items)
                await session.commit()
            except (IntegrityError, ClaimLost) as error:
                await session.rollback()
                if again:
                    return [await self._alone(item) for item in items]
                if isinstance(error, ClaimLost):
                    return [in_progress()]
                problem = problem_for_integrity_error(error)
                if problem is None:
                    raise
                return [problem]
        if wants_relay(session) and self.state.relay is not None:
            self.state.relay.wake()
        return outcomes

    async def _run(
        self, session: AsyncSession, items: Sequence[T]
    ) -> list[R | DomainError | Settled | BaseException]:
        claims = [self.claim_of(item) for item in items]
        keyed = [claim for claim in claims if claim is not None]
        if keyed:
            await claim_within(session, keyed)
        outcomes: list[R | DomainError | Settled | BaseException | None] = [None] * len(items)
        for position, claim in enumerate(claims):
            if claim is not None and claim.outcome is not None and claim.outcome.kind != "claimed":
                outcomes[position] = Settled(claim.outcome)
        runnable = [p for p, outcome in enumerate(outcomes) if outcome is None]
        if runnable:
            results = await self.use_case(session, [items[p] for p in runnable])
            for position, result in zip(runnable, results, strict=True):
                outcomes[position] = result
        answered: list[tuple[Claim, int, dict[str, str], bytes]] = []
        unanswered: list[Claim] = []
        for claim, outcome in zip(claims, outcomes, strict=True):
            if claim is None or outcome is None or isinstance(outcome, Settled):
                continue
            if isinstance(outcome, BaseException):
                unanswered.append(claim)  # its answer is the problem the route sends
            else:
                answered.append((claim, *self.answer(outcome)))
        if answered or unanswered:
            await settle_within(session, answered, unanswered)
        return [outcome for outcome in outcomes if outcome is not None]

    async def _alone(self, item: T) -> R | DomainError | Settled | BaseException:
        try:
            return (await self._record([item], again=False))[0]
        except IntegrityError as error:  # no lost race (those are problems): this caller's 500
            return error

    async def close(self) -> None:
        await self.batcher.close()
