"""Every query of the rotation domain: the county's teachers (as the rules need them), plans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.auth import Jurisdiction
from junheng_kit.i18n import t
from junheng_kit.problems import NotFound
from staffing.rotation.models import RotationConfirmation, RotationExecution, RotationPlan
from staffing.teachers.codes import (
    Gender,
    LeadershipPost,
    PostType,
    Section,
    StaffingStatus,
    TeacherStatus,
)
from staffing.teachers.models import Teacher


class CountyTeacher(NamedTuple):
    id: UUID
    name: str
    gender: Gender
    birth_date: date
    school_code: str
    section: Section
    post_type: PostType
    main_subject: str | None
    title: str | None
    degree: str
    backbone_level: str | None
    staffing_status: StaffingStatus
    school_joined_on: date
    leadership_post: LeadershipPost | None


async def county_teachers(session: AsyncSession, county_code: str) -> list[CountyTeacher]:
    """Active teachers of the county, columns only (one indexed query)."""
    rows = await session.execute(
        select(
            Teacher.id,
            Teacher.name,
            Teacher.gender,
            Teacher.birth_date,
            Teacher.school_code,
            Teacher.section,
            Teacher.post_type,
            Teacher.main_subject,
            Teacher.title,
            Teacher.degree,
            Teacher.backbone_level,
            Teacher.staffing_status,
            Teacher.school_joined_on,
            Teacher.leadership_post,
        )
        .where(Teacher.county_code == county_code, Teacher.status == TeacherStatus.ACTIVE)
        .order_by(Teacher.school_code, Teacher.id)
    )
    return [CountyTeacher._make(row) for row in rows]


@dataclass
class RotationPlanRepository:
    session: AsyncSession

    def add(self, plan: RotationPlan) -> None:
        self.session.add(plan)

    async def get(self, plan_id: UUID, *, within: Jurisdiction) -> RotationPlan:
        plan = await self.session.scalar(
            select(RotationPlan).where(
                RotationPlan.id == plan_id, within.covers(RotationPlan.county_code)
            )
        )
        if plan is None:  # another county's plan is "not found" too
            raise NotFound(
                t(f"交流轮岗方案 {plan_id} 不存在", f"rotation plan {plan_id} not found")
            )
        return plan

    async def in_county(self, county_code: str, year: int | None) -> list[RotationPlan]:
        query = select(RotationPlan).where(RotationPlan.county_code == county_code)
        if year is not None:
            query = query.where(RotationPlan.year == year)
        return list(await self.session.scalars(query.order_by(RotationPlan.created_at)))

    async def confirmations(self, plan_id: UUID) -> list[RotationConfirmation]:
        rows = await self.session.scalars(
            select(RotationConfirmation)
            .where(RotationConfirmation.plan_id == plan_id)
            .order_by(RotationConfirmation.id)
        )
        return list(rows)

    async def executions(self, plan_id: UUID) -> list[RotationExecution]:
        rows = await self.session.scalars(
            select(RotationExecution)
            .where(RotationExecution.plan_id == plan_id)
            .order_by(RotationExecution.id)
        )
        return list(rows)

    def add_all(self, rows: Sequence[RotationConfirmation | RotationExecution]) -> None:
        self.session.add_all(rows)
