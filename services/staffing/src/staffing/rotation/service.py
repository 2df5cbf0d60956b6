"""交流轮岗 use-cases: generate a plan, confirm, approve, execute through the registry, check
adherence; rural service and title structure views."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from junheng_contracts.staffing import RotationPlanApproved, RotationPlanApprovedData
from junheng_kit.auth import Principal
from junheng_kit.etags import require_version
from junheng_kit.messaging import add_event
from junheng_kit.pagination import (
    cut_page,
    decode_uuid_cursor,
    fetch_limit,
)
from junheng_kit.problems import (
    Conflict,
    FieldError,
    RuleViolated,
)
from junheng_kit.timeutil import utcnow
from staffing.policy.parameters import PolicyBook, PolicyRow
from staffing.policy.service import policy_book
from staffing.quotas import repository as quotas
from staffing.quotas.service import school_year_start
from staffing.rotation import rules
from staffing.rotation.models import (
    PlanStatus,
    RotationConfirmation,
    RotationExecution,
    RotationPlan,
)
from staffing.rotation.optimiser.plan import IndicatorChange, Plan
from staffing.rotation.optimiser.rules import generate_plan
from staffing.rotation.reports import rules as report_rules
from staffing.rotation.repository import CountyTeacher, RotationPlanRepository, county_teachers
from staffing.rotation.schemas import (
    AdherenceRead,
    ApprovalCreate,
    ConfirmationCreate,
    ConfirmationRead,
    DeviationRead,
    ExecutionCreate,
    IndicatorChangeRead,
    MoveRead,
    MoveWhyRead,
    ParameterUsed,
    PoolRead,
    QuotaBreachRead,
    RotationPlanCreate,
    RotationPlanList,
    RotationPlanRead,
    RotationPlanResult,
    RotationPlanSummary,
    RuralServicePage,
    RuralServiceRead,
    ShortfallRead,
    TitleStructureList,
    TitleStructureRead,
)
from staffing.teachers import rules as teacher_rules
from staffing.teachers import service as teachers
from staffing.teachers.codes import SUBJECT_CODES, TITLES, PostType, StaffingStatus
from staffing.teachers.repository import rural_schools, rural_service_days
from staffing.teachers.schemas import MoveCreate

SOLVER = "scipy.optimize.milp (HiGHS)"
BAND_OF_TITLE = {t.code: t.band for t in TITLES}


# ---- parameters -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resolved:
    parameters: rules.RotationParameters
    retirement_age: dict[str, int]
    used: list[ParameterUsed]


def _resolve(book: PolicyBook, county_code: str, on: date, request: RotationPlanCreate) -> Resolved:
    """The plan's parameters: the request's own values, else the county's policy in force; a
    value with no row and no request value is a 422 naming it (no silent default)."""
    errors: list[FieldError] = []
    used: list[ParameterUsed] = []
    overrides = request.parameters

    def pick(
        key: str, given: Any, field: str, *, qualifier: str = "", required: bool = True
    ) -> str | None:
        if given is not None:
            used.append(
                ParameterUsed(key=_label(key, qualifier), value=str(given), source="request")
            )
            return str(given)
        row: PolicyRow | None = book.find(key, county_code, on, (qualifier,))
        if row is None:
            if required:
                errors.append(
                    FieldError(
                        field,
                        f"{key}_required",
                        f"no {_label(key, qualifier)} in force for {county_code} on "
                        f"{on.isoformat()}; set it for the county or give it in the request",
                    )
                )
            used.append(ParameterUsed(key=_label(key, qualifier), value=None, source="not set"))
            return None
        used.append(ParameterUsed(key=_label(key, qualifier), value=row.value, source=row.source))
        return row.value

    min_share = pick("rotation_min_share", None, "parameters.min_share")
    backbone_share = pick("rotation_backbone_min_share", None, "parameters.backbone_min_share")
    denominator = pick("rotation_backbone_denominator", None, "parameters.backbone_denominator")
    trigger = pick("rotation_trigger_years", overrides.trigger_years, "parameters.trigger_years")
    window = pick(
        "rotation_retirement_window_years",
        overrides.retirement_window_years,
        "parameters.retirement_window_years",
    )
    male = pick(
        "retirement_age",
        overrides.retirement_age_male,
        "parameters.retirement_age_male",
        qualifier="male",
    )
    female = pick(
        "retirement_age",
        overrides.retirement_age_female,
        "parameters.retirement_age_female",
        qualifier="female",
    )
    distance = pick(
        "rotation_max_distance_km",
        overrides.max_distance_km,
        "parameters.max_distance_km",
        required=False,
    )
    thresholds: dict[tuple[str, rules.Section], Decimal] = {}
    for indicator in rules.INDICATORS:
        for section in rules.SECTIONS:
            value = pick(
                "indicator_threshold", None, "thresholds", qualifier=f"{indicator}:{section}"
            )
            thresholds[(indicator, section)] = Decimal(value or 1)
    if errors:
        raise RuleViolated("交流轮岗参数缺失", *errors)
    if not (
        min_share and backbone_share and denominator and trigger and window and male and female
    ):
        raise AssertionError("every required parameter was checked above")
    return Resolved(
        parameters=rules.RotationParameters(
            min_share=Decimal(min_share),
            backbone_min_share=Decimal(backbone_share),
            backbone_denominator=denominator,  # type: ignore[arg-type]
            trigger_years=int(trigger),
            retirement_window_years=int(window),
            max_distance_km=Decimal(distance) if distance is not None else None,
            thresholds=thresholds,
            target_count=request.target_count,
        ),
        retirement_age={"male": int(male), "female": int(female)},
        used=used,
    )


def _label(key: str, qualifier: str) -> str:
    return f"{key}.{qualifier}" if qualifier else key


def _parameters_of(result: dict[str, Any]) -> rules.RotationParameters:
    """The share rules a stored plan was made under (for approval and adherence)."""
    values = {p["key"]: p["value"] for p in result["parameters"]}
    return rules.RotationParameters(
        min_share=Decimal(values["rotation_min_share"]),
        backbone_min_share=Decimal(values["rotation_backbone_min_share"]),
        backbone_denominator=values["rotation_backbone_denominator"],
        trigger_years=int(values["rotation_trigger_years"]),
        retirement_window_years=int(values["rotation_retirement_window_years"]),
        max_distance_km=None,
        thresholds={},
    )


# ---- plan generation ------------------------------------------------------------------------


async def create_plan(
    session: AsyncSession, principal: Principal, *, county_code: str, request: RotationPlanCreate
) -> RotationPlan:
    """Generate a draft plan with the optimiser and store it with its reasons."""
    principal.require_jurisdiction(county_code, field="county_code")
    on = request.on or school_year_start(request.year)
    book = await policy_book(session, county_code)
    resolved = _resolve(book, county_code, on, request)
    schools, warnings = await _schools(session, county_code, request.year)
    known = {s.school_code for s in schools}
    staff = [t for t in await county_teachers(session, county_code) if t.school_code in known]
    names = {str(t.id): t.name for t in staff}
    _check_codes(request, known)
    rotation_teachers = _teachers(staff, on, resolved.retirement_age)
    schools = _with_counts(schools, rotation_teachers, staff)
    plan = generate_plan(
        teachers=rotation_teachers,
        schools=schools,
        parameters=resolved.parameters,
        on=on,
        subject_needs=_needs(request),
        fixed_moves=[
            rules.FixedMove(str(m.teacher_id), m.to_school_code, m.pooled, m.pooling_reference)
            for m in request.fixed_moves
        ],
    )
    result = _result(county_code, request.year, on, resolved, plan, names, warnings)
    row = RotationPlan(
        county_code=county_code,
        year=request.year,
        status=PlanStatus.CONFIRMED if not plan.moves else PlanStatus.DRAFT,
        request=request.model_dump(mode="json"),
        result=result.model_dump(mode="json"),
        quota_rules_met=result.quota_rules_met,
        created_by=principal.client_id,
    )
    RotationPlanRepository(session).add(row)
    await session.flush()
    return row


def _check_codes(request: RotationPlanCreate, known: set[str]) -> None:
    errors = []
    for code, by_subject in (request.subject_needs or {}).items():
        if code not in known:
            errors.append(
                FieldError(
                    f"subject_needs.{code}",
                    "school_in_county",
                    f"{code} is not a school of the county",
                )
            )
        for subject in by_subject:
            if subject not in SUBJECT_CODES:
                errors.append(
                    FieldError(
                        f"subject_needs.{code}.{subject}",
                        "subject_code",
                        f"{subject!r} is not a subject code or name",
                    )
                )
    if errors:
        raise RuleViolated("学科需求中有未知代码", *errors)


def _needs(request: RotationPlanCreate) -> dict[str, dict[str, int]] | None:
    if request.subject_needs is None:
        return None
    out: dict[str, dict[str, int]] = {}
    for code, by_subject in request.subject_needs.items():
        merged: Counter[str] = Counter()
        for subject, count in by_subject.items():
            merged[SUBJECT_CODES[subject]] += count
        out[code] = dict(merged)
    return out


async def _schools(
    session: AsyncSession, county_code: str, year: int
) -> tuple[list[rules.RotationSchool], list[str]]:
    """The county's schools with pupils (enrolment), area, free approved posts."""
    schools = await quotas.county_schools(session, county_code)
    entered = {e.school_code: e for e in await quotas.enrolments(session, county_code, year)}
    approved = await quotas.approved_posts(session, county_code, year)
    staff = await quotas.staff_counts(session, county_code)
    rural = await rural_schools(session, [s.school_code for s in schools])
    warnings = []
    out = []
    for school in schools:
        entry = entered.get(school.school_code)
        if entry is None:
            warnings.append(f"{school.school_code}: no enrolment for {year}, receives nobody")
        area = (entry.area if entry is not None else None) or (
            "rural" if school.school_code in rural else "urban"
        )
        in_post = staff.get(school.school_code, quotas.StaffCounts()).in_post
        if school.school_code not in approved:
            warnings.append(f"{school.school_code}: no approved posts in the ledger, receives 0")
        out.append(
            rules.RotationSchool(
                school_code=school.school_code,
                area=area,  # type: ignore[arg-type]
                longitude=school.longitude,
                latitude=school.latitude,
                free_posts=approved.get(school.school_code, in_post) - in_post,
                sections={
                    "primary": rules.SectionState(entry.primary_pupils if entry else 0, (0, 0, 0)),
                    "junior": rules.SectionState(entry.junior_pupils if entry else 0, (0, 0, 0)),
                },
            )
        )
    return out, warnings


def _teachers(
    staff: list[CountyTeacher], on: date, retirement_age: dict[str, int]
) -> list[rules.RotationTeacher]:
    sets = teacher_rules.indicator_sets(on)
    out = []
    for t in staff:
        out.append(
            rules.RotationTeacher(
                teacher_id=str(t.id),
                school_code=t.school_code,
                section=t.section.value,
                subject=t.main_subject or "other",
                school_joined_on=t.school_joined_on,
                retires_on=rules.add_years(t.birth_date, retirement_age[t.gender.value]),
                is_in_quota=t.staffing_status == StaffingStatus.IN_QUOTA,
                is_full_time=t.post_type == PostType.FULL_TIME,
                is_backbone=t.backbone_level in sets.backbone_levels,
                above_required_degree=t.degree in sets.qualifying_degrees[t.section],
                is_pe_arts=t.main_subject in sets.pe_arts_subjects,
            )
        )
    return out


def _with_counts(
    schools: list[rules.RotationSchool],
    teachers_: list[rules.RotationTeacher],
    staff: list[CountyTeacher],
) -> list[rules.RotationSchool]:
    """Indicator counts per school section over 专任教师 in post (借调 excluded), as the
    registry counts them for staffing.school_teacher_stats.changed."""
    counts: defaultdict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for teacher, row in zip(teachers_, staff, strict=True):
        if row.post_type != PostType.FULL_TIME or row.staffing_status == StaffingStatus.SECONDED:
            continue
        tally = counts[(teacher.school_code, teacher.section)]
        for k, adds in enumerate(teacher.contributes):
            tally[k] += int(adds)
    return [
        rules.RotationSchool(
            school_code=s.school_code,
            area=s.area,
            longitude=s.longitude,
            latitude=s.latitude,
            free_posts=s.free_posts,
            sections={
                section: rules.SectionState(state.pupils, tuple(counts[(s.school_code, section)]))  # type: ignore[arg-type]
                for section, state in s.sections.items()
            },
        )
        for s in schools
    ]


def _changes(changes: tuple[IndicatorChange, ...]) -> list[IndicatorChangeRead]:
    return [
        IndicatorChangeRead(key=c.key, threshold=c.threshold, before=c.before, after=c.after)
        for c in changes
    ]


def _result(
    county_code: str,
    year: int,
    on: date,
    resolved: Resolved,
    plan: Plan,
    names: dict[str, str],
    warnings: list[str],
) -> RotationPlanResult:
    return RotationPlanResult(
        county_code=county_code,
        year=year,
        on=on,
        solver=SOLVER,
        parameters=resolved.used,
        pool=PoolRead(
            eligible=plan.eligible,
            excluded=dict(plan.excluded),
            candidates_with_destination=plan.candidates_with_destination,
        ),
        required_rotated=plan.required_rotated,
        target_rotated=plan.target_rotated,
        required_backbone=plan.required_backbone,
        rotated=plan.rotated,
        backbone_rotated=plan.backbone_rotated,
        quota_rules_met=not plan.shortfalls,
        shortfalls=[
            ShortfallRead(rule=s.rule, required=s.required, planned=s.planned, reason=s.reason)
            for s in plan.shortfalls
        ],
        objective=plan.objective,
        optimality_gap=plan.optimality_gap,
        moves=[
            MoveRead(
                teacher_id=m.teacher_id,
                teacher_name=names[m.teacher_id],
                from_school=m.from_school,
                to_school=m.to_school,
                section=m.section,
                subject=m.subject,
                is_backbone=m.is_backbone,
                fixed=m.fixed,
                pooled=m.pooled,
                pooling_reference=m.pooling_reference,
                why=MoveWhyRead(
                    gain=m.why.gain,
                    adds=list(m.why.adds),
                    direction=m.why.direction,
                    sending_strength=m.why.sending_strength,
                    receiving_strength=m.why.receiving_strength,
                    distance_km=m.why.distance_km,
                    receiving_indicators=_changes(m.why.receiving_indicators),
                    sending_indicators=_changes(m.why.sending_indicators),
                ),
            )
            for m in plan.moves
        ],
        sending_schools=sorted({m.from_school for m in plan.moves}),
        receiving_schools=sorted({m.to_school for m in plan.moves}),
        free_posts=dict(plan.free_posts),
        warnings=warnings,
    )


# ---- reading --------------------------------------------------------------------------------


def _schools_of(plan: RotationPlan) -> list[str]:
    return sorted(set(plan.result["sending_schools"]) | set(plan.result["receiving_schools"]))


async def plan_read(session: AsyncSession, plan: RotationPlan) -> RotationPlanRead:
    confirmations = await RotationPlanRepository(session).confirmations(plan.id)
    confirmed = {c.school_code for c in confirmations}
    return RotationPlanRead(
        **plan.result,
        id=plan.id,
        status=plan.status,
        confirmations=[
            ConfirmationRead.model_validate(c, from_attributes=True) for c in confirmations
        ],
        awaiting_confirmation=[c for c in _schools_of(plan) if c not in confirmed],
        justification=plan.justification,
        created_by=plan.created_by,
        created_at=plan.created_at,
        approved_by=plan.approved_by,
        approved_at=plan.approved_at,
        executed_at=plan.executed_at,
        version=plan.version,
    )


async def get_plan(session: AsyncSession, principal: Principal, *, plan_id: UUID) -> RotationPlan:
    return await RotationPlanRepository(session).get(plan_id, within=principal.jurisdiction)


async def list_plans(
    session: AsyncSession, principal: Principal, *, county_code: str, year: int | None
) -> RotationPlanList:
    principal.require_jurisdiction(county_code, field="county_code")
    plans = await RotationPlanRepository(session).in_county(county_code, year)
    return RotationPlanList(
        items=[
            RotationPlanSummary(
                id=p.id,
                year=p.year,
                status=p.status,
                rotated=p.result["rotated"],
                quota_rules_met=p.quota_rules_met,
                created_at=p.created_at,
            )
            for p in plans
        ]
    )


# ---- workflow -------------------------------------------------------------------------------


def _require_version(plan: RotationPlan, if_match: int | None) -> None:
    """If-Match: a transition applies only to the version the caller last saw (412 otherwise)."""
    require_version(f"rotation plan {plan.id}", plan.version, if_match)


def _require_status(plan: RotationPlan, *allowed: PlanStatus, action: str) -> None:
    if plan.status not in allowed:
        raise Conflict(
            f"the plan is {plan.status.value}; {action} needs "
            + " or ".join(a.value for a in allowed),
            FieldError(
                "status",
                "rotation_plan_workflow",
                "draft → confirmed by every school → approved → executed",
            ),
        )


async def confirm(
    session: AsyncSession,
    principal: Principal,
    *,
    plan_id: UUID,
    request: ConfirmationCreate,
    if_match: int | None = None,
) -> RotationPlan:
    """学校确认: a sending or receiving school confirms; with the last one the plan is confirmed."""
    repository = RotationPlanRepository(session)
    plan = await repository.get(plan_id, within=principal.jurisdiction)
    _require_version(plan, if_match)
    _require_status(plan, PlanStatus.DRAFT, action="a school confirmation")
    schools = _schools_of(plan)
    if request.school_code not in schools:
        raise RuleViolated(
            "该校不在方案中",
            FieldError(
                "school_code", "school_in_plan", "only sending and receiving schools confirm"
            ),
        )
    confirmed = {c.school_code for c in await repository.confirmations(plan.id)}
    if request.school_code in confirmed:
        raise Conflict("已确认", FieldError("school_code", "school_confirms_once"))
    repository.add_all(
        [
            RotationConfirmation(
                plan_id=plan.id,
                school_code=request.school_code,
                signatory=request.signatory,
                note=request.note,
                confirmed_by=principal.client_id,
            )
        ]
    )
    if confirmed | {request.school_code} >= set(schools):
        plan.status = PlanStatus.CONFIRMED
    else:
        flag_modified(plan, "status")  # every confirmation is a new version (a new ETag)
    await session.flush()
    return plan


async def approve(
    session: AsyncSession,
    principal: Principal,
    *,
    plan_id: UUID,
    request: ApprovalCreate,
    if_match: int | None = None,
) -> RotationPlan:
    """局审批: a confirmed plan is approved; one that misses a share rule only with a written
    justification (422 naming each missed rule otherwise); emits
    `staffing.rotation_plan.approved`."""
    plan = await RotationPlanRepository(session).get(plan_id, within=principal.jurisdiction)
    _require_version(plan, if_match)
    _require_status(plan, PlanStatus.CONFIRMED, action="approval")
    shortfalls = plan.result["shortfalls"]
    if shortfalls and not request.justification:
        raise RuleViolated(
            "方案未达到交流轮岗比例要求，批准须说明理由",
            *(
                FieldError(
                    "justification",
                    s["rule"],
                    f"planned {s['planned']}, required {s['required']}: {s['reason']}",
                )
                for s in shortfalls
            ),
        )
    plan.status = PlanStatus.APPROVED
    plan.justification = request.justification
    plan.approved_by = principal.client_id
    plan.approved_at = utcnow()
    await session.flush()
    result = plan.result
    add_event(
        session,
        RotationPlanApproved.of(
            subject=str(plan.id),
            jurisdiction=plan.county_code,
            data=RotationPlanApprovedData(
                plan_id=str(plan.id),
                county_code=plan.county_code,
                year=plan.year,
                eligible=result["pool"]["eligible"],
                rotated=result["rotated"],
                backbone_rotated=result["backbone_rotated"],
                required_rotated=result["required_rotated"],
                required_backbone=result["required_backbone"],
                quota_rules_met=plan.quota_rules_met,
                justification=request.justification,
                receiving_schools=result["receiving_schools"],
                sending_schools=result["sending_schools"],
            ),
        ),
    )
    return plan


async def execute(
    session: AsyncSession,
    principal: Principal,
    *,
    plan_id: UUID,
    request: ExecutionCreate,
    if_match: int | None = None,
) -> RotationPlan:
    """执行: record each move through the teacher registry's move (history, stats, events), all
    in this transaction; a move the registry refuses refuses them all."""
    repository = RotationPlanRepository(session)
    plan = await repository.get(plan_id, within=principal.jurisdiction)
    _require_version(plan, if_match)
    _require_status(plan, PlanStatus.APPROVED, action="execution")
    planned = {m["teacher_id"]: m for m in plan.result["moves"]}
    moves = (
        [(UUID(m["teacher_id"]), m["to_school"]) for m in plan.result["moves"]]
        if request.moves is None
        else [(m.teacher_id, m.to_school_code) for m in request.moves]
    )
    staff = {t.id: t for t in await county_teachers(session, plan.county_code)}
    errors = [
        FieldError(
            f"moves[{i}].teacher_id",
            "teacher_in_county",
            "no active teacher of the plan's county has this id",
        )
        for i, (teacher_id, _) in enumerate(moves)
        if teacher_id not in staff
    ]
    if errors:
        raise RuleViolated("执行名单有误", *errors)
    sets = teacher_rules.indicator_sets(request.moved_on)
    rows = []
    for teacher_id, to_school in moves:
        teacher = staff[teacher_id]
        await teachers.move_teacher(
            session,
            principal,
            teacher_id=teacher_id,
            request=MoveCreate(
                to_school_code=to_school,
                moved_on=request.moved_on,
                reason="交流轮岗",
                plan_reference=f"rotation-plan:{plan.id}",
            ),
        )
        plan_move = planned.get(str(teacher_id))
        rows.append(
            RotationExecution(
                plan_id=plan.id,
                teacher_id=teacher_id,
                from_school=teacher.school_code,
                to_school=to_school,
                is_backbone=plan_move["is_backbone"]
                if plan_move
                else teacher.backbone_level in sets.backbone_levels,
                moved_on=request.moved_on,
                recorded_by=principal.client_id,
            )
        )
    repository.add_all(rows)
    plan.status = PlanStatus.EXECUTED
    plan.executed_by = principal.client_id
    plan.executed_at = utcnow()
    await session.flush()
    return plan


async def adherence_report(
    session: AsyncSession, principal: Principal, *, plan_id: UUID
) -> AdherenceRead:
    """执行情况: executed moves against the approved plan, the share rules and the free posts."""
    repository = RotationPlanRepository(session)
    plan = await repository.get(plan_id, within=principal.jurisdiction)
    _require_status(plan, PlanStatus.EXECUTED, action="an adherence report")
    executed = await repository.executions(plan.id)
    report = report_rules.adherence(
        planned=[
            report_rules.MoveRecord(
                m["teacher_id"], m["from_school"], m["to_school"], m["is_backbone"], m["pooled"]
            )
            for m in plan.result["moves"]
        ],
        executed=[
            report_rules.MoveRecord(str(e.teacher_id), e.from_school, e.to_school, e.is_backbone)
            for e in executed
        ],
        eligible=plan.result["pool"]["eligible"],
        free_posts=plan.result["free_posts"],
        parameters=_parameters_of(plan.result),
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
        check = report_rules.rural_service_check(
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
        structure = report_rules.title_structure(by_band, row.ratio if row else None)
        items.append(
            TitleStructureRead(
                school_code=school_code,
                section=section,
                counts={b: by_band.get(b, 0) for b in report_rules.TITLE_BANDS},
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
