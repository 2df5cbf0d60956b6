"""Every table of the assistance service, imported by migrations/env.py."""

from assistance.schools.models import School
from assistance.students.models import Student

__all__ = ["School", "Student"]
