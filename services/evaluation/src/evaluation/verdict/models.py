from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evaluation.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.i18n import t
from junheng_kit.integrity import CONCURRENT_UPDATE, on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow


class VerdictItemInput(Base):
    """一项政府保障程度或教育质量指标的审核输入: measured values and/or a reviewer finding."""

    __tablename__ = "verdict_item_input"
    __table_args__ = (
        # two PUTs creating one item at once: the later one is told, and may send it again
        UniqueConstraint(
            "county_code",
            "year",
            "key",
            info=on_violation(
                FieldError(
                    "path.key",
                    "verdict_item_unique",
                    t(
                        "另一个请求同时存储了此项；请再次发送 PUT 以替换",
                        "a concurrent request stored this item; send the PUT again to replace it",
                    ),
                ),
                detail=t(
                    "此项已被另一个请求同时存储", "this item was stored by a concurrent request"
                ),
            ),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(60))
    measured: Mapped[dict[str, str] | None] = mapped_column(JSON)  # Decimals as strings, exact
    finding: Mapped[str | None] = mapped_column(String(10))  # met | not_met
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    reviewer: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RecognitionInput(Base):
    """社会认可度调查: respondents and satisfied per group, optional weights and local target."""

    __tablename__ = "verdict_recognition_input"
    __table_args__ = (
        UniqueConstraint(
            "county_code",
            "year",
            info=on_violation(
                FieldError(
                    "path.year",
                    "recognition_unique",
                    t(
                        "另一个请求同时存储了此调查；请再次发送 PUT 以替换",
                        "a concurrent request stored the survey; send the PUT again to replace it",
                    ),
                ),
                detail=t(
                    "调查已被另一个请求同时存储", "the survey was stored by a concurrent request"
                ),
            ),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer)
    groups: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    weights: Mapped[dict[str, str] | None] = mapped_column(JSON)  # Decimals as strings
    local_target: Mapped[str | None] = mapped_column(String(40))  # a Decimal, exact
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class EligibilityInput(Base):
    """申报资格与一票否决: the basic-balance recognition year and the vetoes found."""

    __tablename__ = "verdict_eligibility_input"
    __table_args__ = (
        UniqueConstraint(
            "county_code",
            "year",
            info=on_violation(
                FieldError(
                    "path.year",
                    "eligibility_unique",
                    t(
                        "另一个请求同时存储了此资格；请再次发送 PUT 以替换",
                        "a concurrent request stored the eligibility; send the PUT again to "
                        "replace it",
                    ),
                ),
                detail=t(
                    "资格已被另一个请求同时存储",
                    "the eligibility was stored by a concurrent request",
                ),
            ),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer)
    basic_balance_recognised_year: Mapped[int] = mapped_column(Integer)
    vetoes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CountyVerdictState(Base):
    """The county verdict as last announced: `evaluation.verdict.changed` goes out when the
    status or the set of failing items differs from this."""

    __tablename__ = "county_verdict_state"
    __table_args__ = (
        # created beside any stored input: two inputs of a county-year stored at once both find
        # none and the later one is told the verdict changed under it
        UniqueConstraint(
            "county_code",
            "year",
            info=on_violation(
                CONCURRENT_UPDATE,
                detail=t(
                    "本县的认定结果已被另一个请求同时修改",
                    "the county's verdict was changed by a concurrent request",
                ),
            ),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # met | not_met | incomplete
    # sorted [part, key, school or "", level or ""] of every failing item announced
    failing: Mapped[list[list[str]]] = mapped_column(JSON)
    assessment_id: Mapped[str | None] = mapped_column(String(36))  # the assessment it used
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
