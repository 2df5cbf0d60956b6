"""Tables of the enrollment facts:

- `fact_ledger_entry` / `fact_ledger_head` — enrollment's own hash-chained lookup ledger (the
  kit's columns and chain: `junheng_kit.agency.ledger`); one entry per lookup of one agency about
  one child, whatever its outcome. The family reads its entries (`GET …/facts`).
- `application_fact` — the latest check of one condition of an application's tier: the fact,
  the county's test (`op`, `value`), status verified | contradicted | unavailable, the agency,
  what it proved (Chinese / English), the agency's assertion id and the ledger entry.
- `application_fact_check` — when an application's facts were last checked and how it ended
  (the automatic check picks submitted applications without one).
- `fact_recheck_job` — a county's bulk re-check: progress (`done` of `total`) and counts; the
  process running it (`owner`) holds a lease it renews (`lease_until`), and `resume_after` is the
  last application whose check committed, so another replica resumes a job whose process died.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from enrollment.db import Base
from junheng_kit.agency.ledger import Ledger, LedgerEntryColumns, LedgerHeadColumns
from junheng_kit.db import UtcDateTime
from junheng_kit.ids import uuid7
from junheng_kit.timeutil import utcnow


class FactLedgerEntry(Base, LedgerEntryColumns):
    """查询台账条目: one lookup of an enrollment fact (or a manual-evidence note)."""

    __tablename__ = "fact_ledger_entry"


class FactLedgerHead(Base, LedgerHeadColumns):
    """The chain's head: locked by every append."""

    __tablename__ = "fact_ledger_head"


LEDGER = Ledger(FactLedgerEntry, FactLedgerHead)


class ApplicationFact(Base):
    """核查结果: one condition of the application's tier, as the agency answered it."""

    __tablename__ = "application_fact"

    application_id: Mapped[UUID] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), primary_key=True
    )
    # "<fact>:<op>:<value>", e.g. "residence_permit_months:gte:12"
    condition: Mapped[str] = mapped_column(String(60), primary_key=True)
    fact: Mapped[str] = mapped_column(String(30))
    op: Mapped[str] = mapped_column(String(3))
    value: Mapped[int] = mapped_column(Integer)  # booleans as 0 / 1
    agency: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12))  # verified | contradicted | unavailable
    rule: Mapped[str] = mapped_column(String(300))  # the policy's condition, the tier's name
    proved: Mapped[str | None] = mapped_column(String(300))
    detail: Mapped[str | None] = mapped_column(String(300))
    assertion_id: Mapped[str | None] = mapped_column(String(64))
    ledger_seq: Mapped[int | None] = mapped_column(Integer)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ApplicationFactCheck(Base):
    """When an application's facts were last checked, and the outcome."""

    __tablename__ = "application_fact_check"

    application_id: Mapped[UUID] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), primary_key=True
    )
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(500))
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class FactRecheckJob(Base):
    """复核任务: every open application of a county re-checked, in batches."""

    __tablename__ = "fact_recheck_job"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    status: Mapped[str] = mapped_column(String(10))  # queued | running | finished | failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    detail: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # the process running the job, and until when it holds it (renewed while it runs): past
    # the lease, another replica takes the job over and resumes after `resume_after`
    owner: Mapped[str | None] = mapped_column(String(36))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resume_after: Mapped[UUID | None] = mapped_column()  # the last application committed
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # processes that ran it
