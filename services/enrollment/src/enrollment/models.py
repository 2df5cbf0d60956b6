"""Every table of the enrollment service, imported by migrations/env.py."""

from enrollment.admission.models import (
    Admission,
    Application,
    ApplicationEvent,
    ApplicationVerification,
    PriorityPolicy,
)
from enrollment.facts.models import (
    ApplicationFact,
    ApplicationFactCheck,
    FactLedgerEntry,
    FactLedgerHead,
    FactRecheckJob,
)
from enrollment.imports.models import SheetImport
from enrollment.lottery.commute.models import CommuteModel
from enrollment.lottery.models import AssignmentRun
from enrollment.retention import LegalHold, PurgedRecord, PurgeLease, PurgeRecord, RetentionRule
from enrollment.schools.models import PrivateShareCap, School
from enrollment.seats.models import SeatPlan, SeatStandard
from enrollment.zoning.models import (
    AttendanceZone,
    CohortCount,
    CohortImport,
    ResidentPopulation,
    ResidentPopulationImport,
    ZoneMap,
)

__all__ = [
    "Admission",
    "Application",
    "ApplicationEvent",
    "ApplicationFact",
    "ApplicationFactCheck",
    "ApplicationVerification",
    "AssignmentRun",
    "AttendanceZone",
    "CohortCount",
    "CohortImport",
    "CommuteModel",
    "FactLedgerEntry",
    "FactLedgerHead",
    "FactRecheckJob",
    "LegalHold",
    "PriorityPolicy",
    "PrivateShareCap",
    "PurgeLease",
    "PurgeRecord",
    "PurgedRecord",
    "ResidentPopulation",
    "ResidentPopulationImport",
    "RetentionRule",
    "School",
    "SeatPlan",
    "SeatStandard",
    "SheetImport",
    "ZoneMap",
]
