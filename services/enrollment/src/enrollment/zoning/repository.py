from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.schools.models import School
from enrollment.zoning.models import (
    AttendanceZone,
    CohortCount,
    CohortImport,
    ResidentPopulation,
    ResidentPopulationImport,
    ZoneMap,
)
from junheng_kit.auth import Jurisdiction
from junheng_kit.i18n import t
from junheng_kit.pagination import fetch_limit
from junheng_kit.problems import NotFound


@dataclass
class ZoneMapRepository:
    session: AsyncSession

    async def add(self, zone_map: ZoneMap, zones: Sequence[dict[str, Any]]) -> None:
        """The map row, then every zone in one bulk insert."""
        self.session.add(zone_map)
        await self.session.flush()
        await self.session.execute(
            insert(AttendanceZone), [{**z, "map_id": zone_map.id} for z in zones]
        )

    async def newest(self, county_code: str, level: str, year: int) -> ZoneMap | None:
        return await self.session.scalar(
            select(ZoneMap)
            .where(ZoneMap.county_code == county_code, ZoneMap.level == level, ZoneMap.year == year)
            .order_by(ZoneMap.version.desc())
            .limit(1)
        )

    async def in_force(self, county_code: str, level: str, year: int, on: date) -> ZoneMap | None:
        """The newest version effective on `on` (versions never take effect before older ones)."""
        return await self.session.scalar(
            select(ZoneMap)
            .where(
                ZoneMap.county_code == county_code,
                ZoneMap.level == level,
                ZoneMap.year == year,
                ZoneMap.effective_from <= on,
            )
            .order_by(ZoneMap.version.desc())
            .limit(1)
        )

    async def get(self, map_id: UUID, *, within: Jurisdiction) -> ZoneMap:
        zone_map = await self.session.scalar(
            select(ZoneMap).where(ZoneMap.id == map_id, within.covers(ZoneMap.county_code))
        )
        if zone_map is None:  # another county's map is "not found" too
            raise NotFound(t(f"学区图 {map_id} 不存在", f"zone map {map_id} not found"))
        return zone_map

    async def versions(
        self,
        *,
        within: Jurisdiction,
        county_code: str | None,
        level: str | None,
        year: int | None,
        before: UUID | None,
        limit: int,
    ) -> list[ZoneMap]:
        """Newest first (ids are time-ordered UUIDv7)."""
        query = select(ZoneMap).where(within.covers(ZoneMap.county_code))
        if county_code:
            query = query.where(ZoneMap.county_code == county_code)
        if level:
            query = query.where(ZoneMap.level == level)
        if year is not None:
            query = query.where(ZoneMap.year == year)
        if before is not None:
            query = query.where(ZoneMap.id < before)
        return list(
            await self.session.scalars(query.order_by(ZoneMap.id.desc()).limit(fetch_limit(limit)))
        )

    async def zones(self, map_id: UUID) -> list[AttendanceZone]:
        return list(
            await self.session.scalars(
                select(AttendanceZone)
                .where(AttendanceZone.map_id == map_id)
                .order_by(AttendanceZone.zone_code)
            )
        )


@dataclass
class SchoolLookup:
    session: AsyncSession

    async def by_code(self, codes: set[str]) -> dict[str, School]:
        if not codes:
            return {}
        rows = await self.session.scalars(select(School).where(School.school_code.in_(codes)))
        return {s.school_code: s for s in rows}


@dataclass
class CohortRepository:
    session: AsyncSession

    async def replace(self, record: CohortImport, rows: Sequence[dict[str, Any]]) -> None:
        """A new import replaces the county-year's counts; the import rows keep the history."""
        self.session.add(record)
        await self.session.flush()
        await self.session.execute(
            delete(CohortCount).where(
                CohortCount.county_code == record.county_code, CohortCount.year == record.year
            )
        )
        await self.session.execute(
            insert(CohortCount),
            [
                {
                    **r,
                    "import_id": record.id,
                    "county_code": record.county_code,
                    "year": record.year,
                }
                for r in rows
            ],
        )

    async def latest(self, county_code: str, year: int) -> CohortImport | None:
        return await self.session.scalar(
            select(CohortImport)
            .where(CohortImport.county_code == county_code, CohortImport.year == year)
            .order_by(CohortImport.imported_at.desc(), CohortImport.id.desc())
            .limit(1)
        )

    async def counts(
        self, county_code: str, year: int, level: str | None = None
    ) -> list[CohortCount]:
        query = select(CohortCount).where(
            CohortCount.county_code == county_code, CohortCount.year == year
        )
        if level:
            query = query.where(CohortCount.level == level)
        return list(await self.session.scalars(query.order_by(CohortCount.id)))


@dataclass
class ResidentPopulationRepository:
    session: AsyncSession

    async def replace(
        self, record: ResidentPopulationImport, rows: Sequence[dict[str, Any]]
    ) -> None:
        """A new import replaces the county-year's population; the import rows keep the history."""
        self.session.add(record)
        await self.session.flush()
        await self.session.execute(
            delete(ResidentPopulation).where(
                ResidentPopulation.county_code == record.county_code,
                ResidentPopulation.year == record.year,
            )
        )
        await self.session.execute(
            insert(ResidentPopulation),
            [
                {
                    **r,
                    "import_id": record.id,
                    "county_code": record.county_code,
                    "year": record.year,
                }
                for r in rows
            ],
        )

    async def latest(self, county_code: str, year: int) -> ResidentPopulationImport | None:
        return await self.session.scalar(
            select(ResidentPopulationImport)
            .where(
                ResidentPopulationImport.county_code == county_code,
                ResidentPopulationImport.year == year,
            )
            .order_by(
                ResidentPopulationImport.imported_at.desc(), ResidentPopulationImport.id.desc()
            )
            .limit(1)
        )

    async def rows(
        self, county_code: str, year: int, level: str | None = None
    ) -> list[ResidentPopulation]:
        query = select(ResidentPopulation).where(
            ResidentPopulation.county_code == county_code, ResidentPopulation.year == year
        )
        if level:
            query = query.where(ResidentPopulation.level == level)
        return list(await self.session.scalars(query.order_by(ResidentPopulation.id)))
