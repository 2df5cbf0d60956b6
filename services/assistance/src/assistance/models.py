"""Every table of the assistance service, imported by migrations/env.py."""

from assistance.agencies.models import AgencyAssertion, CategoryList, CategoryListEntry
from assistance.awards.models import (
    Award,
    AwardHistory,
    Disbursement,
    DisbursementItem,
    Objection,
    PublicityBatch,
    StatusNotice,
    StudentTransfer,
    WorkCalendar,
)
from assistance.identification.models import (
    CoverageFigure,
    IdentificationJob,
    ReviewItem,
    RosterSnapshot,
)
from assistance.ledger.models import LedgerEntry, LedgerHead
from assistance.programmes.models import Programme, ProgrammeStandard
from assistance.schools.models import School
from assistance.students.models import PendingPlacement, RosterVersion, Student

__all__ = [
    "AgencyAssertion",
    "Award",
    "AwardHistory",
    "CategoryList",
    "CategoryListEntry",
    "CoverageFigure",
    "Disbursement",
    "DisbursementItem",
    "IdentificationJob",
    "LedgerEntry",
    "LedgerHead",
    "Objection",
    "PendingPlacement",
    "Programme",
    "ProgrammeStandard",
    "PublicityBatch",
    "ReviewItem",
    "RosterSnapshot",
    "RosterVersion",
    "School",
    "StatusNotice",
    "Student",
    "StudentTransfer",
    "WorkCalendar",
]
