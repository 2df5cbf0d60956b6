"""Aid programme catalogue (资助项目) and its effective-dated standards (资助标准).

- `programme` — one row per version of a programme: `code` + `version` (1, 2, …); the version in
  force on a date is the newest `effective_from` on or before it. `scope_code` is the GB/T 2260
  prefix the programme applies in ("" national, "15" Inner Mongolia, "150602" one county).
  `eligible_categories` open it ([] = every pupil); `priority_categories` are served first when
  its places or funds are limited — each 应助尽助 job marks the awards of pupils an agency lists
  in one of them (`award.priority`).
- `programme_standard` — amounts of a programme from `effective_from` on, for a scope ("" national
  or a province/county prefix; the most specific scope in force wins). Awards keep the standard's
  id and their own amount, so a new standard never rewrites a past award.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Boolean, Date, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from assistance.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.i18n import t
from junheng_kit.ids import uuid7
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow


class Programme(Base):
    """资助项目: one version of a programme's definition."""

    __tablename__ = "programme"
    __table_args__ = (
        # two PUTs numbered the same next version: the later one is told to send it again
        UniqueConstraint(
            "code",
            "version",
            info=on_violation(
                FieldError(
                    "code",
                    "programme_version_unique",
                    t(
                        "另一版本同时保存；请再次发送 PUT 以添加下一版本",
                        "another version was stored at the same time; send the PUT again to add "
                        "the next version",
                    ),
                ),
                detail=t(
                    "此资助项目的另一版本已同时保存",
                    "another version of this programme was stored at the same time",
                ),
            ),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    code: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(8))  # national | local
    scope_code: Mapped[str] = mapped_column(String(6))  # "" national, else a GB/T 2260 prefix
    benefit: Mapped[str] = mapped_column(String(8))  # cash | in_kind
    auto: Mapped[bool] = mapped_column(Boolean)  # 免申即享: proposed from agency data
    eligible_categories: Mapped[list[str]] = mapped_column(JSON)  # [] = every pupil
    # served first when the programme's places or funds are limited (seed 000 item 12); [] none
    priority_categories: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    publicity_shows_category: Mapped[bool] = mapped_column(Boolean, default=False)
    effective_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(500))
    changed_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ProgrammeStandard(Base):
    """资助标准: the amounts of a programme in a scope from a date on.

    `unit` per_year: `rates` are yuan per year; per_day: yuan per school day × `days_per_year`.
    `rates`: [{"level": "primary"|"junior"|null, "boarding": bool|null, "amount_yuan": "1000"}]
    (null = any). `tiers` (差异化, PARAM): [{"code", "name", "rank" (1 = highest),
    "factor": "1.0"}]; [] = one tier. `payment_schedule`: [{"term": "autumn"|"spring",
    "share": "0.5"}]. `funding_shares`: {"central": "0.5", "local": "0.5"}.
    """

    __tablename__ = "programme_standard"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    programme_code: Mapped[str] = mapped_column(String(40), index=True)
    scope_code: Mapped[str] = mapped_column(String(6))
    effective_from: Mapped[date] = mapped_column(Date)
    unit: Mapped[str] = mapped_column(String(8))  # per_year | per_day
    days_per_year: Mapped[int | None] = mapped_column(Integer)
    rates: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    payment_schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    funding_shares: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(500))
    evidence: Mapped[str] = mapped_column(String(8))  # OFF | SEC | UNCONF | DERIVED
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
