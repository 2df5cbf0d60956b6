"""Every table of the staffing service, imported by migrations/env.py."""

from staffing.classes.models import SchoolClassPlan
from staffing.schools.models import School
from staffing.teachers.models import (
    RuralServicePeriod,
    SchoolRurality,
    SchoolTeacherStats,
    Teacher,
    TeacherAssignment,
    TeacherImport,
)

__all__ = [
    "RuralServicePeriod",
    "School",
    "SchoolClassPlan",
    "SchoolRurality",
    "SchoolTeacherStats",
    "Teacher",
    "TeacherAssignment",
    "TeacherImport",
]
