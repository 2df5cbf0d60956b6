"""Every table of the staffing service, imported by migrations/env.py."""

from staffing.classes.models import SchoolClassPlan
from staffing.policy.models import PolicyParameter
from staffing.pool.models import QuotaLoan
from staffing.quotas.models import QuotaLedgerEntry, SchoolEnrolment
from staffing.rotation.models import RotationConfirmation, RotationExecution, RotationPlan
from staffing.schools.models import School
from staffing.teachers.models import (
    RuralServicePeriod,
    SchoolRurality,
    SchoolTeacherStats,
    Teacher,
    TeacherAssignment,
    TeacherImport,
)
from staffing.training.models import TrainingImport, TrainingRecord

__all__ = [
    "PolicyParameter",
    "QuotaLedgerEntry",
    "QuotaLoan",
    "RotationConfirmation",
    "RotationExecution",
    "RotationPlan",
    "RuralServicePeriod",
    "School",
    "SchoolClassPlan",
    "SchoolEnrolment",
    "SchoolRurality",
    "SchoolTeacherStats",
    "Teacher",
    "TeacherAssignment",
    "TeacherImport",
    "TrainingImport",
    "TrainingRecord",
]
