"""Every table of the evaluation service, imported by migrations/env.py."""

from evaluation.assessment.models import Assessment
from evaluation.classes.models import ClassImport, SchoolClass
from evaluation.resources.models import ResourceImport, SchoolResource
from evaluation.schools.models import School
from evaluation.scope.models import ScopeRule
from evaluation.seats.models import SeatPlan
from evaluation.teachers.models import SchoolTeacherStats, SectionTeacherStats
from evaluation.verdict.models import (
    CountyVerdictState,
    EligibilityInput,
    RecognitionInput,
    VerdictItemInput,
)

__all__ = [
    "Assessment",
    "ClassImport",
    "CountyVerdictState",
    "EligibilityInput",
    "RecognitionInput",
    "ResourceImport",
    "School",
    "SchoolClass",
    "SchoolResource",
    "SchoolTeacherStats",
    "ScopeRule",
    "SeatPlan",
    "SectionTeacherStats",
    "VerdictItemInput",
]
