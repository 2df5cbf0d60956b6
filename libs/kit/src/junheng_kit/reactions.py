"""Domain events inside one service, reacted to in the same transaction.

A use case that changes something another part of its service derives from records a domain
event on its session (`record(session, event)`) instead of calling that part: the path of a
request goes down to its own aggregate and never back up to a caller's. Before the session
commits, `ReactingSession` runs every reaction registered for the events recorded (`reacts_to`);
reactions may record events of their own, which run next. They run in the transaction that
recorded the event, so what they write (rows, outbox events) commits or rolls back with it.

Events are frozen dataclasses: the same event recorded twice in one transaction (two inputs of
one county-year stored in one request) is reacted to once. Unlike the events on NATS these
never leave the process: they name what changed, not a contract.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

EVENTS = "junheng_domain_events"
MAX_ROUNDS = 10  # reactions recording events that cause reactions …: a cycle is a defect

Event = TypeVar("Event", bound=Hashable)
Reaction = Callable[[AsyncSession, Any], Awaitable[None]]

_reactions: dict[type, list[Reaction]] = {}


def reacts_to(
    event_type: type[Event],
) -> Callable[[Callable[[AsyncSession, Event], Awaitable[None]]], Callable[..., Awaitable[None]]]:
    """Register the decorated coroutine as a reaction to `event_type` (at import of its module:
    a service imports its reactions where it builds its app)."""

    def register(
        reaction: Callable[[AsyncSession, Event], Awaitable[None]],
    ) -> Callable[..., Awaitable[None]]:
        handlers = _reactions.setdefault(event_type, [])
        if reaction not in handlers:
            handlers.append(reaction)
        return reaction

    return register


def record(session: AsyncSession, event: Hashable) -> None:
    """Record a domain event; its reactions run before this session commits."""
    pending: dict[Hashable, None] = session.info.setdefault(EVENTS, {})
    pending[event] = None  # ordered, and once per distinct event


async def react(session: AsyncSession) -> None:
    """Run the reactions to the events recorded on `session`, round after round."""
    for _ in range(MAX_ROUNDS):
        pending: dict[Hashable, None] | None = session.info.pop(EVENTS, None)
        if not pending:
            return
        for event in pending:
            for reaction in _reactions.get(type(event), ()):
                await reaction(session, event)
    raise RuntimeError(f"domain events still recorded after {MAX_ROUNDS} rounds of reactions")


class ReactingSession(AsyncSession):
    """The kit's session: reactions to recorded domain events run before each commit."""

    async def commit(self) -> None:
        if self.info.get(EVENTS):
            await react(self)
        await super().commit()

    async def rollback(self) -> None:
        self.info.pop(EVENTS, None)
        await super().rollback()
