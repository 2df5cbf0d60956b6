"""保存期限 of enrollment's personal records (issue 20 item 4): the retention tables, and the one
kind the purge may touch, `application.not_admitted` — applications of children not admitted
(withdrawn, rejected or never placed: no admission stands), counted from 1 September of the
application's school year, pseudonymised.

No source gives the period (domain.md and the policy seeds are silent): a bureau sets it
(PUT /v1/retention-rules/…, citing its document); until then nothing is purged.

Pseudonymised: the child's citizen ID, 学籍号 and name; the guardian's name and phone; the home
and 户籍 addresses and the 户籍 location; the 居住证 number; the free text clerks wrote about the
application (the status reason, each check's reason, each trail entry's reason: 已清除 where
there was one). Generalised: the birth date to the
first of its month (the entry-age statistics count by birth month), the home location to 0.01°
(about 1 km, as masked reads show it). Kept: the status, year, level, zones, choices, 随迁 flag,
户口 type and housing (the statistics), and the pseudonymous child key (holds by child).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, cast

from sqlalchemy import ColumnElement, case, exists, literal, literal_column, select

from enrollment.admission.models import (
    Admission,
    Application,
    ApplicationEvent,
    ApplicationVerification,
)
from enrollment.db import Base
from junheng_kit import fieldcrypt
from junheng_kit.fieldcrypt_columns import JSONWithEncryptedFields
from junheng_kit.retention.models import declare_tables
from junheng_kit.retention.purge import PurgeTarget, Retention

CLEARED = "已清除"
SAFE_LITERAL = re.compile(r"^[A-Za-z0-9_:-]+$")


TABLES = declare_tables(
    Base
)  # retention_rule, legal_hold, purge_record, purged_record, purge_lease
RetentionRule, LegalHold, PurgeRecord, PurgedRecord, PurgeLease = TABLES


def cleared_if_set(column: Any) -> Any:
    """已清除 where the column holds text, NULL where it held none (a reason never given)."""
    return case((column.is_(None), None), else_=literal(CLEARED))


def school_year_started_by(cutoff: date) -> ColumnElement[bool]:
    """1 September of the application's school year is on or before the cutoff."""
    last_year = cutoff.year if cutoff >= date(cutoff.year, 9, 1) else cutoff.year - 1
    return Application.year <= last_year


def not_admitted() -> ColumnElement[bool]:
    return (Application.status != "admitted") & ~exists(
        select(Admission.application_id).where(Admission.application_id == Application.id)
    )


def _household(dialect: str) -> Any:
    """The 户籍 address cleared (已清除, encrypted as the column keeps that leaf), its location
    and the 居住证 number removed; the rest of the document (户口 type, housing, 社保 months)
    kept."""
    household = cast(JSONWithEncryptedFields, Application.__table__.c.household.type)
    cleared = fieldcrypt.encrypt(CLEARED, household.field_name(("hukou", "address")))
    if not SAFE_LITERAL.match(cleared):  # base64url, ':' and '-' only: safe in SQL text
        raise ValueError("unexpected characters in an encrypted value")
    if dialect == "postgresql":
        base = (
            "jsonb_set(jsonb_set(household::jsonb, '{hukou,address}', "
            f"to_jsonb('{cleared}'::text)), '{{hukou,location}}', 'null'::jsonb)"
        )
        return literal_column(
            "(CASE WHEN jsonb_typeof(household::jsonb -> 'residence_permit') = 'object' "
            f"THEN jsonb_set({base}, '{{residence_permit,number}}', 'null'::jsonb) "
            f"ELSE {base} END)::json"
        )
    return literal_column(
        f"json_replace(household, '$.hukou.address', '{cleared}', "
        "'$.hukou.location', json('null'), '$.residence_permit.number', json('null'))"
    )


def _month_start(dialect: str) -> Any:
    if dialect == "postgresql":
        return literal_column("CAST(date_trunc('month', birth_date) AS DATE)")
    return literal_column("date(birth_date, 'start of month')")


def _rounded(column: str) -> Any:
    def expression(dialect: str) -> Any:
        if dialect == "postgresql":
            return literal_column(f"CAST(round(CAST({column} AS NUMERIC), 2) AS FLOAT)")
        return literal_column(f"round({column}, 2)")

    return expression


NOT_ADMITTED = PurgeTarget(
    kind="application.not_admitted",
    table=Application.__table__,  # type: ignore[arg-type]
    key=Application.__table__.c.id,
    county=Application.__table__.c.county_code,
    student_key=Application.__table__.c.child_key,
    anchor="school_year_start",
    expired=school_year_started_by,
    eligible=not_admitted,
    actions=("pseudonymise",),
    replace={
        "citizen_id": "",
        "student_number": None,
        "child_name": CLEARED,
        "birth_date": _month_start,
        "guardian": {"name": CLEARED, "relation": "other", "phone": ""},
        "household": _household,
        "home_address": CLEARED,
        "home_longitude": _rounded("home_longitude"),
        "home_latitude": _rounded("home_latitude"),
        "status_reason": cleared_if_set(Application.__table__.c.status_reason),
    },
    replace_related=(
        (
            ApplicationVerification.__table__,  # type: ignore[arg-type]
            ApplicationVerification.__table__.c.application_id,
            {"reason": cleared_if_set(ApplicationVerification.__table__.c.reason)},
        ),
        (
            ApplicationEvent.__table__,
            ApplicationEvent.__table__.c.application_id,
            {"reason": cleared_if_set(ApplicationEvent.__table__.c.reason)},
        ),
    ),
    description=(
        "未被录取儿童的入学申请（撤回、驳回或未安置），自该学年 9 月 1 日起算。Applications of "
        "children not admitted (withdrawn, rejected or never placed), counted from 1 September of "
        "the school year."
    ),
)

RETENTION = Retention(
    service="enrollment",
    **TABLES._asdict(),
    targets=(NOT_ADMITTED,),
)
