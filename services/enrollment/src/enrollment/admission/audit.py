"""The audit trail of applications (junheng_kit.audit): each endpoint that returns or takes a
child's personal data declares its trail (before its principal, so that a refused access is
recorded too) and names the applications it touched."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from enrollment.admission import reads
from junheng_kit.audit import AuditTrail, audit_of, classes_shown
from junheng_kit.auth import Principal

Submitted = Annotated[AuditTrail, Depends(audit_of("application", "create"))]
Read = Annotated[AuditTrail, Depends(audit_of("application", "read"))]
Searched = Annotated[AuditTrail, Depends(audit_of("application", "search"))]
Updated = Annotated[AuditTrail, Depends(audit_of("application", "update"))]
Imported = Annotated[AuditTrail, Depends(audit_of("application", "import"))]
Exported = Annotated[AuditTrail, Depends(audit_of("application", "export"))]


class Touched(Protocol):
    """An `Application`, or a submission's row as written (`submission.Recorded`)."""

    @property
    def id(self) -> object: ...
    @property
    def child_key(self) -> str: ...
    @property
    def county_code(self) -> str: ...


def touched(audit: AuditTrail, application: Touched, principal: Principal) -> None:
    """An application in the trail: its id, the child's pseudonymous key (the family view), the
    county and the field classes the answer carried (in full with enrollment:pii)."""
    audit.touched(
        ids=[application.id],
        student_keys=[application.child_key],
        classes=classes_shown(reads.shows_pii(principal)),
        county_code=application.county_code,
    )
