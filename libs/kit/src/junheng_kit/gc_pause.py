"""Pause Python's cyclic garbage collector around a large, cycle-free computation.

A 200,000-applicant 电脑派位 run builds a few million dicts, lists and tuples. Each allocation
batch triggers the cyclic collector, and its older-generation passes walk all of them again
(docs/performance.md has the figures). The structures built there hold no reference cycles, so
reference counting frees them either way; the collector only has to stay out of the way until
the work ends.

The pause is process-wide and counted (the collector is one per process, so is the count):
overlapping pauses (two requests of one event loop) keep the collector off until the last one
ends, then restore it as the first one found it.

It belongs at the edge: a router whose requests build such structures uses
`CollectorPausedRoute` (enrollment's sheet imports and 电脑派位 runs), a benchmark or a CLI
that calls the use case directly wraps it in `collector_paused()`; domain code does not know.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

_pauses = 0
_restore = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; the last block to end restores it."""
    global _pauses, _restore
    if _pauses == 0:
        _restore = gc.isenabled()
        gc.disable()
    _pauses += 1
    try:
        yield
    finally:
        _pauses -= 1
        if _pauses == 0 and _restore:
            gc.enable()


class CollectorPausedRoute(APIRoute):
    """A route whose whole request — body parsing, validation, the endpoint, serialisation —
    runs with the collector paused: for routes that take or give tens of MB of JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def paused(request: Request) -> Response:
            with collector_paused():
                return await handler(request)

        return paused


__all__ = ["CollectorPausedRoute", "collector_paused"]
