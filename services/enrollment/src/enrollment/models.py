"""Every table of the enrollment service, imported by migrations/env.py."""

from enrollment.schools.models import School

__all__ = ["School"]
