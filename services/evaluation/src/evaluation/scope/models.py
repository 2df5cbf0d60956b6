from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evaluation.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.i18n import t
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow


class ScopeRule(Base):
    """A county's scope rule (domain.md §5.1, UNCONF nationally, so no default): one version,
    effective from a date (to the next version or `effective_to`, exclusive), with the citation
    the county supplied. `value` holds Decimals as strings, exactly."""

    __tablename__ = "scope_rule"
    __table_args__ = (
        # two PUTs creating one version at once: the later one is told, and may send it again
        UniqueConstraint(
            "county_code",
            "key",
            "effective_from",
            info=on_violation(
                FieldError(
                    "effective_from",
                    "scope_rule_unique",
                    t(
                        "另一个请求同时存储了此版本的规则；请再次发送 PUT 以替换",
                        "a concurrent request stored this version of the rule; send the PUT again "
                        "to replace it",
                    ),
                ),
                detail=t(
                    "此版本的规则已被另一个请求同时存储",
                    "this version of the rule was stored by a concurrent request",
                ),
            ),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    key: Mapped[str] = mapped_column(String(40))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    citation: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
