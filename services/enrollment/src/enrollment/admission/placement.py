"""统筹 placement and admission confirmation after an assignment run.

Families a run leaves unplaced are offered the nearest school of their level with seats left
(straight-line distance; a road-distance table can replace it later as policy data); the
bureau confirms the run's placements and the offers — with its own overrides — in one step,
and each confirmed admission is announced without personal data (pseudonymous keys only).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from uuid import UUID

from pydantic_core import from_json
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission import lifecycle, overflow_rules, rules
from enrollment.admission.models import ADMITTED_ONCE, Admission, Application
from enrollment.lottery.models import AssignmentRun
from enrollment.lottery.repository import AssignmentRunRepository
from enrollment.schools.models import School
from enrollment.seats.models import SeatPlan
from junheng_contracts.enrollment import AdmissionConfirmed, AdmissionConfirmedData
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.identifiers import student_number_key
from junheng_kit.messaging import add_event
from junheng_kit.problems import Conflict, FieldError, RuleViolated


@dataclass(frozen=True)
class Proposal:
    run: AssignmentRun
    placed: dict[str, str]  # application id → school (the run's assignment)
    offers: list[overflow_rules.OverflowOffer]
    remaining: dict[str, int]  # seats left per school after the run, before the offers
    # where the schools and the families' homes are (路途时间: lottery/commute)
    schools: tuple[overflow_rules.OpenSchool, ...] = ()
    unplaced: tuple[overflow_rules.Unplaced, ...] = ()


async def _run_of(session: AsyncSession, principal: Principal, run_id: UUID) -> AssignmentRun:
    run = await AssignmentRunRepository(session).get(run_id, reader=principal)
    if run.source != "applications" or run.county_code is None:
        raise RuleViolated(
            t(
                "统筹安排需要基于已存储申请的派位",
                "统筹 (bureau placement) needs a run over stored applications",
            ),
            FieldError(
                "path.run_id",
                "run_from_applications",
                t(
                    "显式给出的派位实例不含住址和学位计划；请改为对本县的已核验申请派位",
                    "an explicit instance carries no homes or seat plans; run the county's "
                    "verified applications instead",
                ),
            ),
        )
    principal.require_jurisdiction(run.county_code, field="county_code")
    return run


async def propose(session: AsyncSession, principal: Principal, run_id: UUID) -> Proposal:
    run = await _run_of(session, principal, run_id)
    assignments: dict[str, str | None] = from_json(run.result)["assignments"]
    placed = {a: s for a, s in assignments.items() if s is not None}
    admitted = Counter(placed.values())
    plans = (
        await session.execute(
            select(SeatPlan.school_code, SeatPlan.seats, School.longitude, School.latitude)
            .join(School, School.school_code == SeatPlan.school_code)
            .where(
                SeatPlan.county_code == run.county_code,
                SeatPlan.year == run.year,
                SeatPlan.level == run.level,
            )
        )
    ).all()
    schools = [
        overflow_rules.OpenSchool(code, lon, lat, max(seats - admitted[code], 0))
        for code, seats, lon, lat in plans
    ]
    unplaced_ids = [UUID(a) for a, s in assignments.items() if s is None]
    homes = (
        await session.execute(
            select(Application.id, Application.home_longitude, Application.home_latitude).where(
                Application.id.in_(unplaced_ids)
            )
        )
    ).all()
    unplaced = [
        overflow_rules.Unplaced(
            str(app_id),
            lon,
            lat,
            hashlib.sha256(f"{run.seed}:{app_id}".encode()).hexdigest(),
        )
        for app_id, lon, lat in homes
    ]
    return Proposal(
        run=run,
        placed=placed,
        offers=overflow_rules.overflow_offers(unplaced, schools),
        remaining={s.school_code: s.remaining for s in schools},
        schools=tuple(schools),
        unplaced=tuple(unplaced),
    )


async def confirm(
    session: AsyncSession,
    principal: Principal,
    run_id: UUID,
    *,
    overrides: dict[str, str],
    secret: bytes,
) -> tuple[list[Admission], list[str], list[str]]:
    """录取确认: admit the run's placements and the 统筹 offers (the bureau's overrides win);
    returns the admissions, the families still without a school and those the run placed that
    are no longer verified (withdrawn, rejected or re-opened: not admitted). Each admitted
    application becomes `admitted` in the same transaction (admission/lifecycle.py). Each
    admission keeps the child's 全国学籍号; its event carries only the number's pseudonymous
    key (`secret`)."""
    proposal = await propose(session, principal, run_id)
    run = proposal.run
    if await session.scalar(select(Admission.run_id).where(Admission.run_id == run.id).limit(1)):
        raise Conflict(
            t(
                f"派位 {run.id} 的录取已确认",
                f"the admissions of run {run.id} are already confirmed",
            ),
            FieldError(
                "path.run_id",
                "admissions_confirmed_once",
                t("每次派位只能确认一次", "confirm a run once"),
            ),
        )
    offers = {o.application_id: o for o in proposal.offers}
    remaining = dict(proposal.remaining)
    overflow: dict[str, tuple[str, float | None]] = {}
    for application_id in sorted(overrides):
        if application_id not in offers:
            raise RuleViolated(
                t(
                    "统筹安排只安置本次派位未录取的家庭",
                    "only families the run left unplaced are placed by 统筹 (bureau placement)",
                ),
                FieldError(
                    f"overrides.{application_id}",
                    "override_unplaced",
                    t("在本次派位中并非未录取", "not unplaced in this run"),
                ),
            )
    # the bureau's choices first, then the proposal's offers for everyone else
    for application_id, school_code in sorted(overrides.items()):
        if remaining.get(school_code, 0) <= 0:
            raise RuleViolated(
                t(f"学校 {school_code} 已无剩余学位", f"school {school_code} has no seat left"),
                FieldError(
                    f"overrides.{application_id}",
                    "seat_available",
                    t(
                        f"派位后 {school_code} 已无剩余的 {run.level} 学位（班额上限）",
                        f"{school_code} has no {run.level} seat left after the run (班额 "
                        "class-size cap)",
                    ),
                ),
            )
        remaining[school_code] -= 1
        overflow[application_id] = (school_code, None)
    unplaced: list[str] = []
    for offer in proposal.offers:
        if offer.application_id in overflow:
            continue
        if offer.school_code is None or remaining.get(offer.school_code, 0) <= 0:
            unplaced.append(offer.application_id)
            continue
        remaining[offer.school_code] -= 1
        overflow[offer.application_id] = (offer.school_code, offer.distance_km)

    ids = [UUID(a) for a in [*proposal.placed, *overflow]]
    rows = await session.execute(
        select(Application.id, Application.status).where(Application.id.in_(ids))
    )
    status_of = {application_id: status for application_id, status in rows}
    # withdrawn, rejected or re-opened since the run: not admitted (the seat stays free)
    dropped = sorted(str(a) for a in ids if status_of.get(a) != "verified")
    ids = [a for a in ids if status_of.get(a) == "verified"]
    taken = await session.scalar(
        select(Admission.application_id).where(Admission.application_id.in_(ids)).limit(1)
    )
    if taken is not None:
        raise Conflict(
            t(
                f"申请 {taken} 已被另一次派位录取",
                f"application {taken} was already admitted by another run",
            ),
            ADMITTED_ONCE,
        )
    children = {
        application_id: (key, number)
        for application_id, key, number in await session.execute(
            select(Application.id, Application.child_key, Application.student_number).where(
                Application.id.in_(ids)
            )
        )
    }
    county_code, year, level = run.county_code, run.year, run.level
    assert county_code is not None
    assert year is not None
    assert level is not None
    kept = {str(a) for a in ids}
    admissions = [
        Admission(
            application_id=UUID(application_id),
            school_code=school_code,
            county_code=county_code,
            year=year,
            level=level,
            route=route,
            run_id=run.id,
            distance_km=distance,
            student_number=children[UUID(application_id)][1],
            confirmed_by=principal.client_id,
        )
        for application_id, school_code, route, distance in [
            *[(a, s, "assignment", None) for a, s in proposal.placed.items()],
            *[(a, s, "overflow", d) for a, (s, d) in overflow.items()],
        ]
        if application_id in kept
    ]
    session.add_all(admissions)
    await session.flush()
    await lifecycle.mark_admitted(session, principal, admissions)
    grade = rules.ENTRY_GRADE[level]  # type: ignore[index]
    for admission in admissions:
        key, number = children[admission.application_id]
        add_event(
            session,
            AdmissionConfirmed.of(
                subject=str(admission.application_id),
                jurisdiction=admission.county_code,
                data=AdmissionConfirmedData(
                    application_id=str(admission.application_id),
                    county_code=admission.county_code,
                    year=admission.year,
                    school_code=admission.school_code,
                    level=admission.level,
                    grade=grade,
                    student_key=key,
                    route=admission.route,
                    run_id=str(run.id),
                    student_number_key=student_number_key(secret, number) if number else None,
                ),
            ),
        )
    return admissions, unplaced, dropped
