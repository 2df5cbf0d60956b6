"""Every table of the gateway, imported by migrations/env.py."""

from gateway.auth.models import Client

__all__ = ["Client"]
