from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def china_today() -> date:
    """Today's date in China (UTC+8): deadlines, ages and effective dates are local dates."""
    return datetime.now(CHINA).date()
