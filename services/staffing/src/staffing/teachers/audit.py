"""The audit trail of teachers' records (junheng_kit.audit): each endpoint that returns or takes
a teacher's personal data (citizen ID, name, birth date) declares its trail, before its
principal so that a refused access is recorded too, and names the records it touched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends

from junheng_kit.audit import AuditTrail, audit_of
from junheng_kit.audit.rules import MASKED, PERSONAL, SENSITIVE
from staffing.teachers.models import Teacher

Registered = Annotated[AuditTrail, Depends(audit_of("teacher", "create"))]
Read = Annotated[AuditTrail, Depends(audit_of("teacher", "read"))]
Listed = Annotated[AuditTrail, Depends(audit_of("teacher", "search"))]
Updated = Annotated[AuditTrail, Depends(audit_of("teacher", "update"))]
Imported = Annotated[AuditTrail, Depends(audit_of("teacher", "import"))]
Exported = Annotated[AuditTrail, Depends(audit_of("teacher", "export"))]
PolicyChange = Annotated[AuditTrail, Depends(audit_of("staffing_policy", "admin"))]

IN_FULL = [PERSONAL, SENSITIVE]  # name, birth date and the citizen ID as stored
ID_MASKED = [PERSONAL, MASKED]  # names, citizen IDs masked (the list)


def touched(audit: AuditTrail, teachers: Sequence[Teacher], classes: list[str]) -> None:
    audit.touched(
        ids=[t.id for t in teachers],
        classes=classes,
        county_code=teachers[0].county_code if teachers else None,
    )
