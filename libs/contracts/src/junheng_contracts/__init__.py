"""Junheng event contracts, owned by the producing service, versioned additively."""

from junheng_contracts.envelope import CloudEvent, EventData

STREAMS = {
    "ENROLLMENT": "enrollment.>",
    "STAFFING": "staffing.>",
    "ASSISTANCE": "assistance.>",
    "EVALUATION": "evaluation.>",
}

__all__ = ["STREAMS", "CloudEvent", "EventData"]
