"""The tables a service keeps for retention, declared on its own Base from these mixins:

    TABLES = declare_tables(Base)  # retention_rule, legal_hold, purge_record, purged_record,
                                   # purge_lease
    RETENTION = Retention(service="…", **TABLES._asdict(), targets=(…,))

and created by the service's migration (`junheng_kit.retention.migration.create_tables_v1`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from junheng_kit.db import UtcDateTime
from junheng_kit.ids import uuid7
from junheng_kit.timeutil import utcnow


class _Declared:
    """The declarative constructor the service's table class gets from its Base."""

    if TYPE_CHECKING:

        def __init__(self, **values: Any) -> None: ...


class RetentionRuleColumns(_Declared):
    """保存期限: one kind's period in one scope from a date on, with its citation. A PUT of the
    same key corrects it (`version` + 1)."""

    scope_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    keep_months: Mapped[int | None] = mapped_column(Integer)
    keep_days: Mapped[int | None] = mapped_column(Integer)
    counted_from: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(12))  # delete | pseudonymise
    source: Mapped[str] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LegalHoldColumns(_Declared):
    """法律保全: records of a kind kept whatever their rule says — one record (`record_key`, the
    key as the database compares it) or every record of one child (`student_key`). Released,
    never deleted."""

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    record_id: Mapped[str | None] = mapped_column(String(64))  # as the caller named it
    record_key: Mapped[str | None] = mapped_column(String(64), index=True)
    student_key: Mapped[str | None] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    placed_by: Mapped[str] = mapped_column(String(100))
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    released_by: Mapped[str | None] = mapped_column(String(100))
    release_reason: Mapped[str | None] = mapped_column(String(500))


class PurgeRecordColumns(_Declared):
    """清除记录: append-only — what one purge of one kind and county did: the rule it applied
    (`rule_ref`, or "no rule"), the cutoff, the action, how many records, when and by whom."""

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    kind: Mapped[str] = mapped_column(String(40))
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    rule_ref: Mapped[str] = mapped_column(String(120))
    rule_source: Mapped[str | None] = mapped_column(String(500))
    cutoff: Mapped[date | None] = mapped_column(Date)
    action: Mapped[str | None] = mapped_column(String(12))
    count: Mapped[int] = mapped_column(Integer)
    held: Mapped[int] = mapped_column(Integer, default=0)  # expired but kept under a hold
    ran_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    ran_by: Mapped[str] = mapped_column(String(100))


class PurgedRecordColumns(_Declared):
    """Which records a pseudonymising purge already rewrote (so a second run leaves them)."""

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    purge_id: Mapped[UUID] = mapped_column()
    purged_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PurgeLeaseColumns(_Declared):
    """One purge of a county at a time across replicas: the row's owner runs it until
    `expires_at`; a dead owner's lease is taken over once it ran out."""

    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RetentionTables(NamedTuple):
    rule: type[RetentionRuleColumns]
    hold: type[LegalHoldColumns]
    record: type[PurgeRecordColumns]
    purged: type[PurgedRecordColumns]
    lease: type[PurgeLeaseColumns]


def declare_tables(base: type[Any]) -> RetentionTables:
    """The five retention tables as classes of a service's declarative `base`, under the names
    `migration.create_tables_v1` creates."""

    def declared(name: str, mixin: type[Any], table: str) -> Any:
        return type(name, (base, mixin), {"__tablename__": table, "__module__": base.__module__})

    return RetentionTables(
        rule=declared("RetentionRule", RetentionRuleColumns, "retention_rule"),
        hold=declared("LegalHold", LegalHoldColumns, "legal_hold"),
        record=declared("PurgeRecord", PurgeRecordColumns, "purge_record"),
        purged=declared("PurgedRecord", PurgedRecordColumns, "purged_record"),
        lease=declared("PurgeLease", PurgeLeaseColumns, "purge_lease"),
    )
