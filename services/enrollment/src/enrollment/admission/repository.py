"""Every query of the admission domain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission.models import (
    Admission,
    Application,
    ApplicationEvent,
    ApplicationVerification,
    PriorityPolicy,
)
from enrollment.schools.models import School
from junheng_kit.auth import Jurisdiction
from junheng_kit.bulk_insert import insert_columns
from junheng_kit.i18n import t
from junheng_kit.pagination import fetch_limit
from junheng_kit.problems import NotFound
from junheng_kit.school_codes import is_nine_year_school

CHUNK = 2000  # keys per IN list (a sheet has tens of thousands)

APPLICATION = cast(Table, Application.__table__)
APPLICATION_EVENT = cast(Table, ApplicationEvent.__table__)


@dataclass
class PolicyRepository:
    session: AsyncSession

    def add(self, policy: PriorityPolicy) -> None:
        self.session.add(policy)

    async def latest_version(self, county_code: str, year: int, level: str) -> int:
        value = await self.session.scalar(
            select(func.max(PriorityPolicy.version)).where(
                PriorityPolicy.county_code == county_code,
                PriorityPolicy.year == year,
                PriorityPolicy.level == level,
            )
        )
        return int(value or 0)

    async def in_force(
        self, county_code: str, year: int, level: str, *, on: date, version: int | None = None
    ) -> PriorityPolicy | None:
        """The newest version in effect on `on` (or exactly `version` when given)."""
        query = select(PriorityPolicy).where(
            PriorityPolicy.county_code == county_code,
            PriorityPolicy.year == year,
            PriorityPolicy.level == level,
        )
        if version is not None:
            query = query.where(PriorityPolicy.version == version)
        else:
            query = query.where(PriorityPolicy.effective_from <= on)
        return await self.session.scalar(query.order_by(PriorityPolicy.version.desc()).limit(1))

    async def versions(self, county_code: str, year: int, level: str) -> list[PriorityPolicy]:
        return list(
            await self.session.scalars(
                select(PriorityPolicy)
                .where(
                    PriorityPolicy.county_code == county_code,
                    PriorityPolicy.year == year,
                    PriorityPolicy.level == level,
                )
                .order_by(PriorityPolicy.version)
            )
        )


@dataclass
class ApplicationRepository:
    session: AsyncSession

    def record(self, entry: ApplicationEvent) -> None:
        self.session.add(entry)

    async def get(self, application_id: UUID, *, within: Jurisdiction) -> Application:
        application = await self.session.scalar(
            select(Application).where(
                Application.id == application_id, within.covers(Application.county_code)
            )
        )
        if application is None:  # another county's application is "not found" too
            raise NotFound(
                t(f"申请 {application_id} 不存在", f"application {application_id} not found")
            )
        return application

    async def children_applied(self, children: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which (year, child key) pairs already have an application — the one-per-child-and-year
        check of a submission batch and of a sheet alike: a query per year and `CHUNK` keys."""
        by_year: dict[int, set[str]] = {}
        for year, key in children:
            by_year.setdefault(year, set()).add(key)
        found: set[tuple[int, str]] = set()
        for year, wanted in sorted(by_year.items()):
            keys = sorted(wanted)
            for start in range(0, len(keys), CHUNK):
                found.update(
                    (year, key)
                    for key in await self.session.scalars(
                        select(Application.child_key).where(
                            Application.year == year,
                            Application.child_key.in_(keys[start : start + CHUNK]),
                        )
                    )
                )
        return found

    async def insert_submitted(
        self, applications: Sequence[dict[str, Any]], trail: Sequence[dict[str, Any]]
    ) -> None:
        """New applications and their first audit entries as rows (a batch of submissions)."""
        connection = await self.session.connection()
        for table, rows in ((APPLICATION, applications), (APPLICATION_EVENT, trail)):
            await insert_columns(connection, table, {k: [r[k] for r in rows] for k in rows[0]})

    async def page(
        self,
        *,
        within: Jurisdiction,
        county_code: str | None,
        year: int | None,
        grade: int | None,
        status: str | None,
        after: UUID | None,
        limit: int,
    ) -> list[Application]:
        query = select(Application).where(within.covers(Application.county_code))
        if county_code:
            query = query.where(Application.county_code == county_code)
        if year is not None:
            query = query.where(Application.year == year)
        if grade is not None:
            query = query.where(Application.grade == grade)
        if status:
            query = query.where(Application.status == status)
        if after is not None:
            query = query.where(Application.id > after)
        return list(
            await self.session.scalars(query.order_by(Application.id).limit(fetch_limit(limit)))
        )

    async def every(self, *, county_code: str, year: int, grade: int | None) -> list[Application]:
        """A county's applications of a school year (one grade or both), oldest first."""
        query = select(Application).where(
            Application.county_code == county_code, Application.year == year
        )
        if grade is not None:
            query = query.where(Application.grade == grade)
        return list(await self.session.scalars(query.order_by(Application.id)))

    async def migrant_home_zones(self, county_code: str, level: str, year: int) -> list[str | None]:
        """随迁子女 demand: the home zone of each migrant application of a county, level and
        year that was not rejected or withdrawn (one row per application)."""
        return list(
            await self.session.scalars(
                select(Application.home_zone_code).where(
                    Application.county_code == county_code,
                    Application.level == level,
                    Application.year == year,
                    Application.migrant.is_(True),
                    Application.status.not_in(("rejected", "withdrawn")),
                )
            )
        )

    async def verifications(self, application_id: UUID) -> dict[str, ApplicationVerification]:
        rows = await self.session.scalars(
            select(ApplicationVerification).where(
                ApplicationVerification.application_id == application_id
            )
        )
        return {row.document: row for row in rows}

    async def verification(
        self, application_id: UUID, document: str
    ) -> ApplicationVerification | None:
        return await self.session.get(ApplicationVerification, (application_id, document))

    def add_verification(self, verification: ApplicationVerification) -> None:
        self.session.add(verification)

    async def history(self, application_id: UUID) -> list[ApplicationEvent]:
        return list(
            await self.session.scalars(
                select(ApplicationEvent)
                .where(ApplicationEvent.application_id == application_id)
                .order_by(ApplicationEvent.id)
            )
        )

    async def school_levels(self, codes: Iterable[str]) -> dict[str, list[str]]:
        """The 学段 each of these registered schools teaches (unknown codes are left out): what
        the options and choices of a submission and of a sheet are checked against."""
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(School.school_code, School.levels).where(School.school_code.in_(wanted))
        )
        return {code: list(levels) for code, levels in rows.all()}

    async def nine_year_schools(self, codes: Iterable[str]) -> set[str]:
        """Which of these registered schools are 九年一贯制学校 (level `nine_year` or 办学类型
        312, `junheng_kit.school_codes.is_nine_year_school`): one query per `CHUNK` codes."""
        wanted = sorted(set(codes))
        found: set[str] = set()
        for start in range(0, len(wanted), CHUNK):
            rows = await self.session.execute(
                select(School.school_code, School.levels, School.school_type).where(
                    School.school_code.in_(wanted[start : start + CHUNK])
                )
            )
            found.update(
                code for code, levels, kind in rows.all() if is_nine_year_school(levels, kind)
            )
        return found


@dataclass
class AdmissionRepository:
    """录取 rows, read by application, by school or run, and the school names they show."""

    session: AsyncSession

    async def of_application(self, application_id: UUID) -> tuple[Admission, str] | None:
        row = (
            await self.session.execute(
                select(Admission, School.name)
                .join(School, School.school_code == Admission.school_code)
                .where(Admission.application_id == application_id)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def of_applications(self, ids: Sequence[UUID]) -> dict[UUID, tuple[Admission, str]]:
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Admission, School.name)
            .join(School, School.school_code == Admission.school_code)
            .where(Admission.application_id.in_(ids))
        )
        return {admission.application_id: (admission, name) for admission, name in rows}

    async def page(
        self,
        *,
        within: Jurisdiction,
        county_code: str | None,
        year: int | None,
        school_code: str | None,
        run_id: UUID | None,
        after: UUID | None,
        limit: int,
    ) -> list[tuple[Admission, str]]:
        query = (
            select(Admission, School.name)
            .join(School, School.school_code == Admission.school_code)
            .where(within.covers(Admission.county_code))
        )
        if county_code:
            query = query.where(Admission.county_code == county_code)
        if year is not None:
            query = query.where(Admission.year == year)
        if school_code:
            query = query.where(Admission.school_code == school_code)
        if run_id is not None:
            query = query.where(Admission.run_id == run_id)
        if after is not None:
            query = query.where(Admission.application_id > after)
        rows = await self.session.execute(
            query.order_by(Admission.application_id).limit(fetch_limit(limit))
        )
        return [(admission, name) for admission, name in rows]

    async def applications_of_child(
        self, child_key: str, *, within: Jurisdiction
    ) -> list[Application]:
        """A child's applications (every year) in the caller's jurisdiction, newest first."""
        return list(
            await self.session.scalars(
                select(Application)
                .where(Application.child_key == child_key, within.covers(Application.county_code))
                .order_by(Application.year.desc(), Application.id.desc())
            )
        )
