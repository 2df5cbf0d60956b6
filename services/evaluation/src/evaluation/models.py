"""Every table of the evaluation service, imported by migrations/env.py."""

from evaluation.assessment.models import Assessment
from evaluation.resources.models import ResourceImport, SchoolResource
from evaluation.schools.models import School
from evaluation.verdict.models import EligibilityInput, RecognitionInput, VerdictItemInput

__all__ = [
    "Assessment",
    "EligibilityInput",
    "RecognitionInput",
    "ResourceImport",
    "School",
    "SchoolResource",
    "VerdictItemInput",
]
