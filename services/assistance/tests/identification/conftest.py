"""Fixtures of the roster and identification tests: a Dongsheng (150602) primary and junior
school and one school of the neighbouring county (150603) in the school copy."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.agencies.models import CategoryList, CategoryListEntry
from assistance.schools.models import School
from junheng_contracts.enrollment import SchoolData
from junheng_kit.ids import uuid7
from junheng_kit.school_directory import apply_school_state
from junheng_kit.testing.plugin import TokenFactory, auth

PRIMARY = "2115060201"  # 东胜区第一小学
JUNIOR = "3115060202"  # 东胜区第二中学
NEIGHBOUR = "2115060301"  # a primary school of 150603
SCHOOLS = (
    (PRIMARY, "东胜区第一小学", ["primary"], "150602"),
    (JUNIOR, "东胜区第二中学", ["junior"], "150602"),
    (NEIGHBOUR, "康巴什区小学", ["primary"], "150603"),
)


async def add_schools(session: AsyncSession) -> None:
    for number, (code, name, levels, county) in enumerate(SCHOOLS, start=1):
        await apply_school_state(
            session,
            School,
            SchoolData(
                school_code=code,
                name=name,
                levels=levels,  # type: ignore[arg-type]
                county_code=county,
                longitude=109.98,
                latitude=39.82,
                planned_capacity=1200,
                version=1,
            ),
            f"event-{number}",
        )


@pytest.fixture
async def schools(session: AsyncSession) -> None:
    await add_schools(session)


def headers(
    token: TokenFactory,
    *scopes: str,
    jurisdiction: tuple[str, ...] = ("150602",),
    content_type: str | None = None,
) -> dict[str, Any]:
    extra = {"Content-Type": content_type} if content_type else {}
    return auth(token(*scopes, jurisdiction=jurisdiction), **extra)


def writer(token: TokenFactory, **kwargs: Any) -> dict[str, Any]:
    """read, write and pii: what the bureau's 资助中心 client holds."""
    return headers(token, "assistance:read", "assistance:write", "assistance:pii", **kwargs)


async def plant_list(
    session: AsyncSession,
    agency: str,
    rows: list[tuple[str, str, str, date, date | None]],
    *,
    region_code: str = "150602",
    fetched_at: datetime | None = None,
) -> CategoryList:
    """An agency's category list as its refresh stores it: (citizen_id, name, category,
    valid_from, valid_until) rows; assertion ids `<agency>-<n>`."""
    listed = CategoryList(
        id=uuid7(),
        agency=agency,
        region_code=region_code,
        list_id=f"{agency}-list-{uuid7().hex[:8]}",
        as_of=date(2026, 9, 1),
        entry_count=len(rows),
        entries_sha256="0" * 64,
        key_id="test-key",
        signature="not-checked-here",
        fetched_at=fetched_at or datetime.now(UTC),
        ledger_seq=1,
    )
    session.add(listed)
    await session.flush()
    session.add_all(
        CategoryListEntry(
            list_ref=listed.id,
            citizen_id=citizen_id,
            name=name,
            category=category,
            grade=None,
            valid_from=valid_from,
            valid_until=valid_until,
            assertion_id=f"{agency}-{number}",
        )
        for number, (citizen_id, name, category, valid_from, valid_until) in enumerate(rows, 1)
    )
    await session.flush()
    return listed
