"""The audit trail of personal-data access and administrative acts (issue 20, item 1).

- `rules`: the entry's hashed fields, the caller's declarations (`X-On-Behalf-Of`,
  `X-Purpose`), outcomes, retention (≥ 183 days).
- `tables`: column mixins and the kit's tables (`audit_entry`, `audit_head`, `audit_archive`).
- `trail`: `AuditStore` (append, chain, verify) and `Auditor` (the group-commit writer, which
  chains what it appends, and the chainer of entries appended un-chained).
- `http`: `audit_of(kind, action)` for an endpoint, `AuditMiddleware` writing it.
- `router`: `GET /v1/audit`, `/v1/audit/verify`, `/v1/audit/export` (scope `audit:read`).
- `archive`: entries past the retention written to NDJSON and deleted, with an `audit_archive`
  row.
"""

from junheng_kit.audit.http import AuditMiddleware, AuditTrail, audit_of, fast_trail
from junheng_kit.audit.rules import classes_shown
from junheng_kit.audit.trail import Auditor, AuditRecord, AuditStore

__all__ = [
    "AuditMiddleware",
    "AuditRecord",
    "AuditStore",
    "AuditTrail",
    "Auditor",
    "audit_of",
    "classes_shown",
    "fast_trail",
]
