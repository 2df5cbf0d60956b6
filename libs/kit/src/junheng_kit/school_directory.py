"""A local read model of the enrollment school registry, kept from its events.

Staffing, assistance and evaluation each keep their own copy in their own database (no service
reads another's tables): the model class comes from the service (its own Base, its own
migration), the projection and the read API are the same everywhere, so they live here.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from junheng_contracts.enrollment import SchoolData, SchoolLevel, SchoolRegistered, SchoolUpdated
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.classification import Public
from junheng_kit.db import SessionDep, UtcDateTime
from junheng_kit.i18n import t
from junheng_kit.identifiers import CountyCode
from junheng_kit.messaging import Subscriptions
from junheng_kit.pagination import (
    CursorQuery,
    LimitQuery,
    cut_page,
    decode_cursor,
    fetch_limit,
)
from junheng_kit.problems import NotFound, problem_responses
from junheng_kit.timeutil import utcnow

# the registry's national codes (issue 19): a service that needs one declares the column
NATIONAL_CODES = ("school_type", "urban_rural_code", "division_code", "ownership")


class SchoolEntryColumns:
    """Columns of the read model; a service declares `class School(SchoolEntryColumns, Base)`."""

    __tablename__ = "school"

    school_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    levels: Mapped[list[str]] = mapped_column(JSON)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    longitude: Mapped[float]
    latitude: Mapped[float]
    planned_capacity: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    source_event_id: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SchoolEntryRead(BaseModel):
    school_code: Annotated[str, Public]
    name: Annotated[str, Public]
    levels: Annotated[list[SchoolLevel], Public]
    county_code: Annotated[str, Public]
    longitude: Annotated[float, Public]
    latitude: Annotated[float, Public]
    planned_capacity: Annotated[int, Public]
    version: int = Field(description="registry version this copy reflects")
    source_event_id: str = Field(description="the enrollment event this copy was built from")
    synced_at: datetime


class SchoolEntryPage(BaseModel):
    items: list[SchoolEntryRead]
    next_cursor: str | None


def _read(entry: Any) -> SchoolEntryRead:
    return SchoolEntryRead.model_validate(entry, from_attributes=True)


async def apply_school_state(
    session: AsyncSession, model: type[Any], data: SchoolData, event_id: str
) -> bool:
    """Upsert the school if the event is newer than the copy; a stale event changes nothing.

    The row is read FOR UPDATE: two replicas applying versions 3 and 4 at once take turns, and
    the later one sees the other's version (without the lock the one committing last would
    write its older copy over the newer). Two first copies at once: the second insert fails
    and its delivery is retried."""
    entry = await session.get(model, data.school_code, with_for_update=True)
    if entry is not None and entry.version >= data.version:
        return False
    values = {
        "name": data.name,
        "levels": list(data.levels),
        "county_code": data.county_code,
        "longitude": data.longitude,
        "latitude": data.latitude,
        "planned_capacity": data.planned_capacity,
        "version": data.version,
        "source_event_id": event_id,
        "synced_at": utcnow(),
    }
    for field in NATIONAL_CODES:  # kept by the services whose copy has the column
        if hasattr(model, field):
            values[field] = getattr(data, field, None)
    if entry is None:
        session.add(model(school_code=data.school_code, **values))
    else:
        for key, value in values.items():
            setattr(entry, key, value)
    await session.flush()
    return True


def school_subscriptions(
    model: type[Any], service: str, subscriptions: Subscriptions | None = None
) -> Subscriptions:
    subscriptions = subscriptions or Subscriptions()
    durable = f"{service}-schools"

    @subscriptions.on(SchoolRegistered, durable=durable)
    async def school_registered(session: AsyncSession, event: SchoolRegistered) -> None:
        await apply_school_state(session, model, event.data, event.id)

    @subscriptions.on(SchoolUpdated, durable=durable)
    async def school_updated(session: AsyncSession, event: SchoolUpdated) -> None:
        await apply_school_state(session, model, event.data, event.id)

    return subscriptions


def school_directory_router(model: type[Any], service: str) -> APIRouter:
    router = APIRouter(prefix="/v1/schools", tags=["schools"])
    reader = Annotated[Principal, Depends(require_scopes(f"{service}:read"))]

    @router.get("", responses=problem_responses(), summary="Schools (local copy of the registry)")
    async def list_schools(
        session: SessionDep,
        principal: reader,
        limit: LimitQuery = 100,
        cursor: CursorQuery = None,
        county_code: CountyCode | None = None,
    ) -> SchoolEntryPage:
        """Schools in the caller's jurisdiction as this service knows them from enrollment's
        events, by school code."""
        query = select(model).where(principal.jurisdiction.covers(model.county_code))
        if county_code:
            query = query.where(model.county_code == county_code)
        after = decode_cursor(cursor)
        if after:
            query = query.where(model.school_code > after)
        rows = list(
            await session.scalars(query.order_by(model.school_code).limit(fetch_limit(limit)))
        )
        rows, next_cursor = cut_page(rows, limit, key=lambda r: r.school_code)
        return SchoolEntryPage(
            items=[_read(r) for r in rows],
            next_cursor=next_cursor,
        )

    @router.get(
        "/{school_code}",
        summary="Get a school (local copy)",
        responses=problem_responses(NotFound),
    )
    async def get_school(
        school_code: str, session: SessionDep, principal: reader
    ) -> SchoolEntryRead:
        entry = await session.scalar(
            select(model).where(
                model.school_code == school_code, principal.jurisdiction.covers(model.county_code)
            )
        )
        if entry is None:
            raise NotFound(t(f"学校 {school_code} 不存在", f"school {school_code} not found"))
        return _read(entry)

    return router
