"""County-verdict use-cases: store reviewer inputs, judge them, combine them with the newest
resource-allocation assessment into the county verdict (domain.md §5.4–§5.6)."""

import json
from collections import Counter
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.assessment import rules as assessment_rules
from evaluation.assessment.catalogue import Catalogue, catalogue_by_version
from evaluation.assessment.models import Assessment
from evaluation.events import VerdictInputChanged
from evaluation.seats import rules as seat_rules
from evaluation.seats.repository import SeatPlanRepository
from evaluation.seats.schemas import SectionOverCapRead
from evaluation.verdict import rules
from evaluation.verdict.catalogue import ItemSpec, VerdictCatalogue, catalogue_in_force
from evaluation.verdict.models import (
    CountyVerdictState,
    EligibilityInput,
    RecognitionInput,
    VerdictItemInput,
)
from evaluation.verdict.repository import VerdictInputRepository
from evaluation.verdict.schemas import (
    CriterionOut,
    EligibilityPut,
    EligibilityRead,
    Evidence,
    FailingCvOut,
    FailingItem,
    FailingSchoolOut,
    IndicatorShortfall,
    InputsRead,
    ItemPut,
    ItemRead,
    ItemsPart,
    RecognitionPut,
    RecognitionRead,
    ResourceAllocationPart,
    VerdictParts,
    VerdictRead,
    VetoOut,
)
from junheng_contracts.evaluation import (
    FailingCounts,
    VerdictChanged,
    VerdictChangedData,
    VerdictStatus,
)
from junheng_kit import reactions
from junheng_kit.auth import Principal
from junheng_kit.messaging import add_event
from junheng_kit.problems import FieldError, NotFound, RuleViolated
from junheng_kit.timeutil import utcnow

# the catalogue in force at the start of the school year governs that year (as for assessments)
SCHOOL_YEAR_START = (9, 1)


CLASS_SIZE = "class_size"  # item 5 of 政府保障程度, measurable from enrollment's seat plans
SEAT_PLANS_REVIEWER = "enrollment seat plans (read model)"


def catalogue_for_year(year: int) -> VerdictCatalogue:
    """The verdict catalogue governing a school year (422 `catalogue_in_force` when none)."""
    return _catalogue(year)


def class_size_caps(catalogue: VerdictCatalogue) -> dict[str, Decimal]:
    """班额 cap per level, from the catalogue's class-size item (primary 45, junior 50)."""
    by_name = {c.name: c.threshold for c in catalogue.item(CLASS_SIZE).criteria}
    return {level: by_name[name] for level, name in seat_rules.LEVEL_CRITERIA.items()}


def _catalogue(year: int) -> VerdictCatalogue:
    try:
        return catalogue_in_force(date(year, *SCHOOL_YEAR_START))
    except LookupError as exc:
        raise RuleViolated(
            f"no verdict catalogue is in force for the {year} school year",
            FieldError("year", "catalogue_in_force"),
        ) from exc


def _spec(catalogue: VerdictCatalogue, key: str) -> ItemSpec:
    try:
        return catalogue.item(key)
    except KeyError as exc:
        raise NotFound(f"{key!r} is not an item of catalogue {catalogue.version}") from exc


async def put_item(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    year: int,
    key: str,
    request: ItemPut,
) -> ItemRead:
    """政府保障程度 / 教育质量 一项: store (replace) the review and answer its evaluation."""
    principal.require_jurisdiction(county_code, field="county_code")
    spec = _spec(_catalogue(year), key)
    outcome = rules.evaluate_item(spec, measured=request.measured, finding=request.finding)
    repository = VerdictInputRepository(session)
    record = await repository.item(county_code, year, key)
    if record is None:
        record = VerdictItemInput(county_code=county_code, year=year, key=key)
        repository.add(record)
    record.measured = (
        None if request.measured is None else {n: str(v) for n, v in request.measured.items()}
    )
    record.finding = request.finding
    record.evidence = [e.model_dump() for e in request.evidence]
    record.reviewer = request.reviewer
    record.note = request.note
    record.updated_by = principal.client_id
    record.updated_at = utcnow()
    await session.flush()
    reactions.record(session, VerdictInputChanged(county_code, year))
    return _item_read(spec, outcome, record)


async def put_recognition(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    year: int,
    request: RecognitionPut,
) -> InputsRead:
    """社会认可度: store (replace) the survey counts and answer the rate against the threshold."""
    principal.require_jurisdiction(county_code, field="county_code")
    catalogue = _catalogue(year)
    groups = [rules.GroupCount(g.group, g.respondents, g.satisfied) for g in request.groups]
    weights = None if request.weights is None else {str(g): w for g, w in request.weights.items()}
    outcome = rules.assess_recognition(
        groups,
        weights,
        threshold=catalogue.recognition_threshold,
        local_target=request.local_target,
    )
    repository = VerdictInputRepository(session)
    record = await repository.recognition(county_code, year)
    if record is None:
        record = RecognitionInput(county_code=county_code, year=year)
        repository.add(record)
    record.groups = [g.model_dump() for g in request.groups]
    record.weights = None if weights is None else {g: str(w) for g, w in weights.items()}
    record.local_target = None if request.local_target is None else str(request.local_target)
    record.updated_by = principal.client_id
    record.updated_at = utcnow()
    await session.flush()
    reactions.record(session, VerdictInputChanged(county_code, year))
    return InputsRead(
        county_code=county_code, year=year, social_recognition=_recognition_read(catalogue, outcome)
    )


async def put_eligibility(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    year: int,
    request: EligibilityPut,
) -> InputsRead:
    """申报资格与一票否决: store (replace) the basic-balance year and the vetoes found."""
    principal.require_jurisdiction(county_code, field="county_code")
    catalogue = _catalogue(year)
    if request.basic_balance_recognised_year > year:
        raise RuleViolated(
            "basic-balance recognition cannot come after the year assessed",
            FieldError("basic_balance_recognised_year", "not_after_year", f"assessing {year}"),
        )
    outcome = rules.assess_eligibility(
        request.basic_balance_recognised_year, year, required_years=catalogue.eligibility_years
    )
    repository = VerdictInputRepository(session)
    record = await repository.eligibility(county_code, year)
    if record is None:
        record = EligibilityInput(county_code=county_code, year=year)
        repository.add(record)
    record.basic_balance_recognised_year = request.basic_balance_recognised_year
    record.vetoes = [v.model_dump() for v in request.vetoes]
    record.updated_by = principal.client_id
    record.updated_at = utcnow()
    await session.flush()
    reactions.record(session, VerdictInputChanged(county_code, year))
    return InputsRead(
        county_code=county_code,
        year=year,
        eligibility=_eligibility_read(catalogue, outcome),
        vetoes=[VetoOut(kind=v.kind, evidence=v.evidence, derived=False) for v in request.vetoes],
    )


async def county_verdict(
    session: AsyncSession, principal: Principal, *, county_code: str, year: int
) -> VerdictRead:
    """县域义务教育优质均衡认定: the four parts, eligibility and vetoes, with every failing thing
    and its gap; "incomplete" listing what is not stored yet."""
    principal.require_jurisdiction(county_code, field="county_code")
    return await _county_verdict(session, _catalogue(year), county_code=county_code, year=year)


async def announce_if_changed(
    session: AsyncSession, *, county_code: str, year: int, assessment: Assessment | None = None
) -> bool:
    """Stage `evaluation.verdict.changed` when the verdict's status or its set of failing items
    differs from the one last announced (the first verdict of a county-year is a change).

    The reaction to `VerdictInputChanged` (verdict/reactions.py), which every stored input and
    every assessment records: it runs before their transaction commits (`assessment` None: the
    newest stored one counts; else the one just stored). A year with no verdict catalogue in
    force has no verdict, so nothing is announced.
    """
    try:
        catalogue = catalogue_in_force(date(year, *SCHOOL_YEAR_START))
    except LookupError:
        return False
    repository = VerdictInputRepository(session)
    state = await repository.state(county_code, year)
    if assessment is None:  # its head only: the result is read when it was not announced yet
        assessment = await repository.newest_assessment(county_code, year, head_only=True)
    verdict = await _county_verdict(
        session,
        catalogue,
        county_code=county_code,
        year=year,
        assessment=assessment,
        shortfalls=False,  # the gaps do not decide a change; rebuilding them dominates the cost
    )
    identities = [
        *await _resource_failures(repository, assessment, state),
        *(
            (item.part, item.key, item.school_code or "", item.level or "")
            for item in verdict.failing_items
        ),
    ]
    failing = sorted(list(identity) for identity in identities)
    if state is not None and state.status == verdict.verdict and state.failing == failing:
        return False
    previous = None if state is None else cast(VerdictStatus, state.status)
    if state is None:
        state = CountyVerdictState(county_code=county_code, year=year, version=0)
        repository.add(state)
    state.status = verdict.verdict
    state.failing = failing
    state.assessment_id = verdict.assessment_id
    state.version += 1
    state.updated_at = utcnow()
    await session.flush()
    counts = Counter(part for part, *_ in identities)
    add_event(
        session,
        VerdictChanged.of(
            subject=f"{county_code}/{year}",
            jurisdiction=county_code,
            data=VerdictChangedData(
                county_code=county_code,
                year=year,
                catalogue_version=verdict.catalogue_version,
                status=verdict.verdict,
                previous_status=previous,
                failing=FailingCounts(
                    **{part: counts.get(part, 0) for part in FailingCounts.model_fields}
                ),
                assessment_id=verdict.assessment_id,
                version=state.version,
            ),
        ),
    )
    return True


async def _resource_failures(
    repository: VerdictInputRepository,
    assessment: Assessment | None,
    state: CountyVerdictState | None,
) -> list[tuple[str, str, str, str]]:
    """The resource-allocation failures of the verdict's assessment as (part, key, school,
    level): kept from the last announcement when it used the same assessment (they cannot
    change), else read from its stored result."""
    if assessment is None:
        return []
    if state is not None and state.assessment_id == str(assessment.id):
        return [
            (part, key, school, level)
            for part, key, school, level in state.failing
            if part == "resource_allocation"
        ]
    return rules.resource_failures(await repository.assessment_result(assessment))


async def _county_verdict(
    session: AsyncSession,
    catalogue: VerdictCatalogue,
    *,
    county_code: str,
    year: int,
    assessment: Assessment | None = None,
    shortfalls: bool = True,
) -> VerdictRead:
    """The verdict. `assessment`: the newest one when the caller has it already (else read);
    without `shortfalls` the resource part keeps only whether it is met (its failing sections
    and CVs are left out of `parts` and `failing_items`, and its result is not read)."""
    repository = VerdictInputRepository(session)
    if assessment is None:
        assessment = await repository.newest_assessment(county_code, year)
    item_records = {record.key: record for record in await repository.items(county_code, year)}
    recognition_record = await repository.recognition(county_code, year)
    eligibility_record = await repository.eligibility(county_code, year)

    resource = (
        _resource_allocation(assessment)
        if shortfalls or assessment is None
        else ResourceAllocationPart(
            met=assessment.resource_allocation_passed, failing_schools=[], failing_cv=[]
        )
    )
    items: dict[str, tuple[ItemSpec, rules.ItemOutcome, VerdictItemInput | None]] = {}
    for key, record in item_records.items():
        try:
            spec = catalogue.item(key)
        except KeyError:  # stored under an earlier catalogue that had this item
            continue
        measured = (
            None if record.measured is None else {n: Decimal(v) for n, v in record.measured.items()}
        )
        finding: Any = record.finding
        items[key] = (spec, rules.evaluate_item(spec, measured=measured, finding=finding), record)
    class_size = None
    if CLASS_SIZE not in items and any(spec.key == CLASS_SIZE for spec in catalogue.items):
        class_size = seat_rules.class_size(
            await SeatPlanRepository(session).figures(county_code, year),
            class_size_caps(catalogue),
        )
        if class_size.measured:  # judged on the levels that have classes
            spec = catalogue.item(CLASS_SIZE)
            spec = replace(
                spec, criteria=tuple(c for c in spec.criteria if c.name in class_size.measured)
            )
            outcome = rules.evaluate_item(spec, measured=class_size.measured, finding=None)
            items[CLASS_SIZE] = (spec, outcome, None)
        else:
            class_size = None
    recognition = None
    if recognition_record is not None:
        recognition = rules.assess_recognition(
            [
                rules.GroupCount(g["group"], g["respondents"], g["satisfied"])
                for g in recognition_record.groups
            ],
            None
            if recognition_record.weights is None
            else {g: Decimal(w) for g, w in recognition_record.weights.items()},
            threshold=catalogue.recognition_threshold,
            local_target=None
            if recognition_record.local_target is None
            else Decimal(recognition_record.local_target),
        )
    eligibility = None
    stored_vetoes: list[dict[str, Any]] = []
    if eligibility_record is not None:
        eligibility = rules.assess_eligibility(
            eligibility_record.basic_balance_recognised_year,
            year,
            required_years=catalogue.eligibility_years,
        )
        stored_vetoes = eligibility_record.vetoes

    combined = rules.combine(
        catalogue,
        resource_allocation_met=None
        if assessment is None
        else assessment.resource_allocation_passed,
        items={key: outcome for key, (_, outcome, _) in items.items()},
        recognition=recognition,
        eligibility=eligibility,
        vetoes=[v["kind"] for v in stored_vetoes],
    )
    vetoes = [VetoOut(kind=v["kind"], evidence=v["evidence"], derived=False) for v in stored_vetoes]
    if rules.RECOGNITION_VETO in combined.vetoes and recognition is not None:
        vetoes.append(
            VetoOut(
                kind=rules.RECOGNITION_VETO,
                evidence=f"社会认可度 {rules.shown(recognition.rate)} < {recognition.threshold}",
                derived=True,
            )
        )
    item_reads = {
        key: _item_read(spec, outcome, record, seat_plans=class_size if record is None else None)
        for key, (spec, outcome, record) in items.items()
    }
    parts = VerdictParts(
        resource_allocation=resource,
        government_assurance=_items_part(catalogue, "government_assurance", item_reads, combined),
        education_quality=_items_part(catalogue, "education_quality", item_reads, combined),
        social_recognition=_recognition_read(catalogue, recognition),
        eligibility=_eligibility_read(catalogue, eligibility),
        vetoes=vetoes,
    )
    return VerdictRead(
        county_code=county_code,
        year=year,
        verdict=combined.verdict,
        missing=list(combined.missing),
        assessment_id=None if assessment is None else str(assessment.id),
        catalogue_version=catalogue.version,
        parts=parts,
        failing_items=_failing_items(parts),
    )


def _items_part(
    catalogue: VerdictCatalogue,
    part: Any,
    reads: dict[str, ItemRead],
    combined: rules.CountyVerdict,
) -> ItemsPart:
    return ItemsPart(
        met=combined.parts_met[part],
        failing=[
            reads[spec.key]
            for spec in catalogue.items_of(part)
            if spec.key in reads and not reads[spec.key].met
        ],
        missing=list(combined.missing_items[part]),
    )


def _item_read(
    spec: ItemSpec,
    outcome: rules.ItemOutcome,
    record: VerdictItemInput | None,
    *,
    seat_plans: seat_rules.ClassSizeMeasure | None = None,
) -> ItemRead:
    """An item as judged: from its stored review, or (`record` None) from the seat plans."""
    measured = outcome.basis == "measured"
    if record is None:
        assert seat_plans is not None  # only 班额 is judged without a stored review
        # one citation per plan: a county has any number of schools, while one reference holds
        # 500 characters (five plans' sources); each plan's source is short and bounded
        evidence = [
            Evidence(title=f"学位计划 {plan.school_code} {plan.level}", reference=plan.source)
            for plan in seat_plans.plans
        ]
        reviewer, note, source = SEAT_PLANS_REVIEWER, None, "seat_plans"
        over = [SectionOverCapRead.of(section) for section in seat_plans.over_cap]
    else:
        evidence = [Evidence.model_validate(e) for e in record.evidence]
        reviewer, note, source, over = record.reviewer, record.note, "review", None
    return ItemRead(
        key=spec.key,
        part=spec.part,
        number=spec.number,
        title_zh=spec.title_zh,
        met=outcome.met,
        basis=outcome.basis,
        threshold={c.name: c.threshold for c in outcome.criteria} if measured else None,
        gap={c.name: _gap(c) for c in outcome.criteria if not c.met} if measured else None,
        criteria=[
            CriterionOut(
                name=c.name,
                value=c.value,
                comparator="at_least" if c.comparator == "at_least" else "at_most",
                threshold=c.threshold,
                unit=c.unit,
                met=c.met,
                gap=c.gap,
                missing=c.missing,
                missing_unit=c.missing_unit,
            )
            for c in outcome.criteria
        ],
        finding=outcome.finding,
        finding_overridden=outcome.finding_overridden,
        standard=spec.standard,
        evidence=evidence,
        reviewer=reviewer,
        note=note,
        source=source,
        sections_over_cap=over,
    )


def _gap(criterion: rules.CriterionOutcome) -> Decimal:
    """The gap a report quotes: whole people or places to add when counted, else the distance."""
    if criterion.missing is not None and criterion.missing_unit is not None:
        return criterion.missing
    assert criterion.gap is not None  # unmet criteria always have one
    return criterion.gap


def _recognition_read(
    catalogue: VerdictCatalogue, outcome: rules.RecognitionOutcome | None
) -> RecognitionRead:
    if outcome is None:
        return RecognitionRead(
            met=None,
            rate=None,
            method=None,
            threshold=catalogue.recognition_threshold,
            local_target=None,
            met_local_target=None,
        )
    return RecognitionRead(
        met=outcome.met,
        rate=rules.shown(outcome.rate),
        method=outcome.method,
        threshold=outcome.threshold,
        local_target=outcome.local_target,
        met_local_target=outcome.met_local_target,
    )


def _eligibility_read(
    catalogue: VerdictCatalogue, outcome: rules.EligibilityOutcome | None
) -> EligibilityRead:
    if outcome is None:
        return EligibilityRead(
            met=None,
            basic_balance_recognised_year=None,
            years_since=None,
            required_years=catalogue.eligibility_years,
        )
    return EligibilityRead(
        met=outcome.met,
        basic_balance_recognised_year=outcome.basic_balance_recognised_year,
        years_since=outcome.years_since,
        required_years=outcome.required_years,
    )


def _resource_allocation(assessment: Assessment | None) -> ResourceAllocationPart:
    """资源配置: failing sections with their shortfalls, rebuilt from the stored inputs under the
    catalogue the assessment named, and the failing 差异系数."""
    if assessment is None:
        return ResourceAllocationPart(met=None, failing_schools=[], failing_cv=[])
    catalogue = catalogue_by_version(assessment.catalogue_version)
    result = assessment.result
    inputs = {
        (row["school_code"], row["level"]): row for row in json.loads(assessment.inputs)["schools"]
    }
    computed = {(s["school_code"], s["level"]): s for s in result["schools"]}
    failing_schools = []
    for failing in result["resource_allocation"]["failing_schools"]:
        where = (failing["school_code"], failing["level"])
        section = _section(inputs[where])
        failing_schools.append(
            FailingSchoolOut(
                school_code=section.school_code,
                level=section.level,
                indicators=[
                    _shortfall(section, key, indicator, catalogue)
                    for key, indicator in computed[where]["indicators"].items()
                    if not indicator["met"]
                ],
            )
        )
    failing_cv = [
        FailingCvOut(
            level=failing["level"],
            indicator=failing["indicator"],
            value=result["cv"][failing["level"]][failing["indicator"]]["value"],
            limit=catalogue.cv_limits[failing["level"]],
        )
        for failing in result["resource_allocation"]["failing_cv"]
    ]
    return ResourceAllocationPart(
        met=assessment.resource_allocation_passed,
        failing_schools=failing_schools,
        failing_cv=failing_cv,
    )


def _section(row: dict[str, Any]) -> assessment_rules.SectionInput:
    return assessment_rules.SectionInput(
        school_code=row["school_code"],
        level=row["level"],
        students=row["students"],
        teachers_above_required_degree=row["teachers_above_required_degree"],
        backbone_teachers=row["backbone_teachers"],
        pe_arts_teachers=row["pe_arts_teachers"],
        teaching_auxiliary_area_m2=row["teaching_auxiliary_area_m2"],
        sports_venue_area_m2=row["sports_venue_area_m2"],
        equipment_value_yuan=row["equipment_value_yuan"],
        multimedia_classrooms=row["multimedia_classrooms"],
    )


def _shortfall(
    section: assessment_rules.SectionInput,
    key: str,
    indicator: dict[str, Any],
    catalogue: Catalogue,
) -> IndicatorShortfall:
    spec = catalogue.indicator(key)
    return IndicatorShortfall(
        key=key,
        value=indicator["value"],
        threshold=spec.thresholds[section.level],
        floor=catalogue.floor(key, section.level),
        shortfall=assessment_rules.shortfall(section, key, catalogue),
        unit=spec.shortfall_unit,
    )


def _failing_items(parts: VerdictParts) -> list[FailingItem]:
    """Every failing thing, flat, with its part and gap: what a report lists for the county."""
    out: list[FailingItem] = []
    resource = parts.resource_allocation
    for school in resource.failing_schools:
        for indicator in school.indicators:
            out.append(
                FailingItem(
                    part="resource_allocation",
                    key=indicator.key,
                    school_code=school.school_code,
                    level=school.level,
                    gap=indicator.shortfall,
                    unit=indicator.unit,
                    detail=(
                        f"{indicator.value:.6g} < {indicator.threshold} (floor {indicator.floor})"
                    ),
                )
            )
    for cv in resource.failing_cv:
        out.append(
            FailingItem(
                part="resource_allocation",
                key=f"cv.{cv.indicator}",
                level=cv.level,
                gap=rules.shown(Decimal(cv.value) - cv.limit),
                unit="cv",
                detail=f"差异系数 {cv.value:.6g} > {cv.limit}",
            )
        )
    for items in (parts.government_assurance, parts.education_quality):
        for item in items.failing:
            if item.basis == "finding":
                out.append(
                    FailingItem(part=item.part, key=item.key, detail="reviewer finding: not met")
                )
                continue
            if item.sections_over_cap is not None:  # 班额 from seat plans: per school section
                for section in item.sections_over_cap:
                    out.append(
                        FailingItem(
                            part=item.part,
                            key=f"{item.key}.{seat_rules.LEVEL_CRITERIA[section.level]}",
                            school_code=section.school_code,
                            level=section.level,
                            gap=Decimal(section.classes_missing),
                            unit="classes",
                            detail=(
                                f"{section.seats} seats in {section.planned_classes} classes: "
                                f"largest class {section.largest_class} > {section.cap}, "
                                f"{section.pupils_over} pupils over ({section.source})"
                            ),
                        )
                    )
                continue
            for criterion in item.criteria:
                if criterion.met:
                    continue
                whole = criterion.missing is not None and criterion.missing_unit is not None
                out.append(
                    FailingItem(
                        part=item.part,
                        key=f"{item.key}.{criterion.name}",
                        gap=criterion.missing if whole else criterion.gap,
                        unit=criterion.missing_unit if whole else criterion.unit,
                        detail=f"{criterion.value} vs {criterion.comparator} {criterion.threshold}",
                    )
                )
    recognition = parts.social_recognition
    if recognition.met is False and recognition.rate is not None:
        out.append(
            FailingItem(
                part="social_recognition",
                key="recognition_rate",
                gap=recognition.threshold - recognition.rate,
                unit="share",
                detail=f"{recognition.rate} < {recognition.threshold}",
            )
        )
    eligibility = parts.eligibility
    if eligibility.met is False and eligibility.years_since is not None:
        out.append(
            FailingItem(
                part="eligibility",
                key="basic_balance_years",
                gap=Decimal(eligibility.required_years - eligibility.years_since),
                unit="years",
                detail=f"{eligibility.years_since} years since basic balance",
            )
        )
    for veto in parts.vetoes:
        out.append(FailingItem(part="vetoes", key=veto.kind, detail=veto.evidence))
    return out
