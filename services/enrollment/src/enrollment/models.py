"""Every table of the enrollment service, imported by migrations/env.py."""

from enrollment.lottery.models import AssignmentRun
from enrollment.schools.models import School

__all__ = ["AssignmentRun", "School"]
