"""The published event types (libs/contracts): what a subscription may name and what
/asyncapi.json describes, in the producers' order."""

from typing import Any

from junheng_contracts import CloudEvent, assistance, enrollment, evaluation, staffing

PRODUCERS = (enrollment, staffing, assistance, evaluation)
EVENTS: dict[str, type[CloudEvent[Any]]] = {
    event.event_type: event for module in PRODUCERS for event in module.EVENTS
}
