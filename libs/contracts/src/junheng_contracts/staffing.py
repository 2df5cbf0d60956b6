"""Events the staffing service publishes (stream STAFFING ← `staffing.>`).

None yet: the service's own events arrive with its issue. The stream is declared at start-up so
consumers can bind before the first event.
"""

from __future__ import annotations

from junheng_contracts.envelope import CloudEvent

EVENTS: tuple[type[CloudEvent], ...] = ()  # type: ignore[type-arg]
