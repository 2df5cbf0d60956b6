"""Every table of the assistance service, imported by migrations/env.py."""

from assistance.agencies.models import AgencyAssertion, CategoryList, CategoryListEntry
from assistance.awards.awards.models import Award, AwardHistory
from assistance.awards.calendar.models import WorkCalendar
from assistance.awards.disbursement.models import Disbursement, DisbursementItem
from assistance.awards.notices.models import StatusNotice
from assistance.awards.objections.models import Objection
from assistance.awards.publicity.models import PublicityBatch
from assistance.awards.transfers.models import StudentTransfer
from assistance.identification.models import (
    CoverageFigure,
    IdentificationJob,
    ReviewItem,
    RosterSnapshot,
)
from assistance.ledger.models import LedgerEntry, LedgerHead
from assistance.programmes.models import Programme, ProgrammeStandard
from assistance.retention import LegalHold, PurgedRecord, PurgeLease, PurgeRecord, RetentionRule
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
    "LegalHold",
    "Objection",
    "PendingPlacement",
    "Programme",
    "ProgrammeStandard",
    "PublicityBatch",
    "PurgeLease",
    "PurgeRecord",
    "PurgedRecord",
    "RetentionRule",
    "ReviewItem",
    "RosterSnapshot",
    "RosterVersion",
    "School",
    "StatusNotice",
    "Student",
    "StudentTransfer",
    "WorkCalendar",
]
