"""Every table of the evaluation service, imported by migrations/env.py."""

from evaluation.schools.models import School

__all__ = ["School"]
