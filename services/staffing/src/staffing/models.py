"""Every table of the staffing service, imported by migrations/env.py."""

from staffing.schools.models import School

__all__ = ["School"]
