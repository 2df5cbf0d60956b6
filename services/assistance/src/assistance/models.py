"""Every table of the assistance service, imported by migrations/env.py."""

from assistance.schools.models import School

__all__ = ["School"]
