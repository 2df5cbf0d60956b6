"""Every table of the gateway, imported by migrations/env.py."""

from gateway.auth.models import Client
from gateway.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = ["Client", "WebhookAttempt", "WebhookDelivery", "WebhookSubscription"]
