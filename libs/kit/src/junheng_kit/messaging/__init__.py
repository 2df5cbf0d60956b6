"""Events between services: transactional outbox out, idempotent inbox in."""

from junheng_kit.messaging.consumer import Subscriptions
from junheng_kit.messaging.outbox import add_event

__all__ = ["Subscriptions", "add_event"]
