"""交流轮岗 reports: an executed plan's adherence (执行情况), each teacher's rural service and
what it qualifies for, the title structure of every school section."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.auth import Principal
from junheng_kit.pagination import cut_page, decode_uuid_cursor, fetch_limit
from staffing.policy.service import policy_book
from staffing.rotation.lifecycle import require_status
from staffing.rotation.models import PlanStatus
from staffing.rotation.parameters import parameters_of
from staffing.rotation.reports import rules
from staffing.rotation.repository import RotationPlanRepository, county_teachers
from staffing.rotation.schemas import (
    AdherenceRead,
    DeviationRead,
    QuotaBreachRead,
    RuralServicePage,
    RuralServiceRead,
    ShortfallRead,
    TitleStructureList,
    TitleStructureRead,
)
from staffing.teachers.codes import TITLES, PostType, StaffingStatus
from staffing.teachers.repository import rural_service_days

BAND_OF_TITLE = {t.code: t.band for t in TITLES}


async def adherence_report(
    session: AsyncSession, principal: Principal, *, plan_id: UUID
) -> AdherenceRead:
    """执行情况: executed moves against the approved plan, the share rules and the free posts."""
    repository = RotationPlanRepository(session)
    plan = await repository.get(plan_id, within=principal.jurisdiction)
    require_status(plan, PlanStatus.EXECUTED, action="an adherence report")
    executed = await repository.executions(plan.id)
    report = rules.adherence(
        planned=[
            rules.MoveRecord(
                m["teacher_id"], m["from_school"], m["to_school"], m["is_backbone"], m["pooled"]
            )
            for m in plan.result["moves"]
        ],
        executed=[
            rules.MoveRecord(str(e.teacher_id), e.from_school, e.to_school, e.is_backbone)
            for e in executed
        ],
        eligible=plan.result["pool"]["eligible"],
        free_posts=plan.result["free_posts"],
        parameters=parameters_of(plan.result),
    )
    return AdherenceRead(
        plan_id=plan.id,
        planned=report.planned,
        executed=report.executed,
        as_planned=report.as_planned,
        adherence_rate=report.adherence_rate,
        deviations=[
            DeviationRead(
                teacher_id=d.teacher_id,
                kind=d.kind,
                planned_to=d.planned_to,
                executed_to=d.executed_to,
            )
            for d in report.deviations
        ],
        executed_backbone=report.executed_backbone,
        required_rotated=report.required_rotated,
        required_backbone=report.required_backbone,
        shortfalls=[
            ShortfallRead(rule=s.rule, required=s.required, planned=s.planned, reason=s.reason)
            for s in report.shortfalls
        ],
        quota_breaches=[
            QuotaBreachRead(
                school_code=b.school_code, net_arrivals=b.net_arrivals, free_posts=b.free_posts
            )
            for b in report.quota_breaches
        ],
    )


# ---- rural service and titles ---------------------------------------------------------------


async def rural_service(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    on: date,
    cursor: str | None,
    limit: int,
) -> RuralServicePage:
    """乡村任教年限 per teacher and what it qualifies for (高级职称 prerequisite, 校长 priority)."""
    principal.require_jurisdiction(county_code, field="county_code")
    book = await policy_book(session, county_code)
    senior = book.find("senior_title_rural_years", county_code, on)
    principal_row = book.find("principal_priority_rural_years", county_code, on)
    staff = await county_teachers(session, county_code)
    start = decode_uuid_cursor(cursor)
    if start is not None:
        staff = [t for t in staff if t.id > start]
    staff, next_cursor = cut_page(
        sorted(staff, key=lambda t: t.id)[: fetch_limit(limit)], limit, key=lambda t: t.id
    )
    days = await rural_service_days(session, [t.id for t in staff], on=on)
    items = []
    for t in staff:
        check = rules.rural_service_check(
            days.get(t.id, 0),
            senior.decimal if senior else None,
            principal_row.decimal if principal_row else None,
        )
        items.append(
            RuralServiceRead(
                teacher_id=t.id,
                name=t.name,
                school_code=t.school_code,
                rural_service_days=check.rural_service_days,
                rural_service_years=check.rural_service_years,
                senior_title_eligible=check.senior_title_eligible,
                principal_priority=check.principal_priority,
            )
        )
    return RuralServicePage(
        on=on,
        senior_title_rural_years=senior.decimal if senior else None,
        principal_priority_rural_years=principal_row.decimal if principal_row else None,
        items=items,
        next_cursor=next_cursor,
    )


async def title_structures(
    session: AsyncSession, principal: Principal, *, county_code: str, on: date
) -> TitleStructureList:
    """岗位结构: titles per school section (在编 专任教师, 借调 included: their posts are the
    school's) against the county's target ratio for the level, where one is in force."""
    principal.require_jurisdiction(county_code, field="county_code")
    book = await policy_book(session, county_code)
    counts: defaultdict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for t in await county_teachers(session, county_code):
        if t.post_type != PostType.FULL_TIME or t.staffing_status == StaffingStatus.TEMPORARY:
            continue
        band = BAND_OF_TITLE.get(t.title or "", "untitled")
        counts[(t.school_code, t.section.value)][band] += 1
    items = []
    for (school_code, section), by_band in sorted(counts.items()):
        row = book.find("post_structure_ratio", county_code, on, (section,))
        structure = rules.title_structure(by_band, row.ratio if row else None)
        items.append(
            TitleStructureRead(
                school_code=school_code,
                section=section,
                counts={b: by_band.get(b, 0) for b in rules.TITLE_BANDS},
                untitled=by_band.get("untitled", 0),
                total=structure.total,
                shares=dict(structure.shares),
                target_ratio=row.value if row else None,
                target_shares=dict(structure.target_shares) if structure.target_shares else None,
                target_counts=dict(structure.target_counts) if structure.target_counts else None,
                over_target=list(structure.over_target),
            )
        )
    return TitleStructureList(on=on, items=items)
