"""The audit trail of the roster (junheng_kit.audit): each endpoint that returns or takes a
child's personal data declares its trail (before its principal, so that a refused access is
recorded too) and names the children it touched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Protocol

from fastapi import Depends

from junheng_kit.audit import AuditTrail, audit_of, classes_shown
from junheng_kit.auth import Principal

PII = "assistance:pii"

StudentCreated = Annotated[AuditTrail, Depends(audit_of("student", "create"))]
StudentRead_ = Annotated[AuditTrail, Depends(audit_of("student", "read"))]
StudentsListed = Annotated[AuditTrail, Depends(audit_of("student", "search"))]
StudentSearched = Annotated[AuditTrail, Depends(audit_of("student", "search"))]
StudentsImported = Annotated[AuditTrail, Depends(audit_of("student", "import"))]
AccessLogRead_ = Annotated[AuditTrail, Depends(audit_of("access_log", "read"))]
AwardCreated = Annotated[AuditTrail, Depends(audit_of("award", "create"))]
AwardRead_ = Annotated[AuditTrail, Depends(audit_of("award", "read"))]
AwardsListed = Annotated[AuditTrail, Depends(audit_of("award", "search"))]
LookupMade = Annotated[AuditTrail, Depends(audit_of("lookup", "search"))]
ProgrammeChange = Annotated[AuditTrail, Depends(audit_of("programme", "admin"))]


class Touched(Protocol):
    @property
    def id(self) -> object: ...
    @property
    def student_key(self) -> str: ...
    @property
    def county_code(self) -> str: ...


def touched(
    audit: AuditTrail,
    students: Sequence[Touched],
    principal: Principal,
    *,
    ids: Sequence[object] | None = None,
) -> None:
    """Roster rows in the trail: ids (the students', or the records' given), the children's
    pseudonymous keys (the family view), the county and the field classes the answer carried
    (in full with assistance:pii)."""
    audit.touched(
        ids=[s.id for s in students] if ids is None else ids,
        student_keys=[s.student_key for s in students],
        classes=classes_shown(PII in principal.scopes),
        county_code=students[0].county_code if students else None,
    )
