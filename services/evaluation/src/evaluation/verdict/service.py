"""County-verdict use-cases: store reviewer inputs, judge them, combine them with the newest
resource-allocation assessment into the county verdict (domain.md §5.4–§5.6)."""

from collections import Counter
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.assessment.models import Assessment
from evaluation.classes import repository as class_data
from evaluation.classes import rules as class_rules
from evaluation.events import VerdictInputChanged
from evaluation.teachers import rules as teacher_rules
from evaluation.teachers.repository import TeacherStatsRepository
from evaluation.verdict import answer, rules
from evaluation.verdict.catalogue import ItemSpec, VerdictCatalogue, catalogue_in_force
from evaluation.verdict.models import (
    CountyVerdictState,
    EligibilityInput,
    RecognitionInput,
    VerdictItemInput,
)
from evaluation.verdict.repository import VerdictInputRepository, county_school_codes
from evaluation.verdict.schemas import (
    EligibilityPut,
    InputsRead,
    ItemPut,
    ItemRead,
    RecognitionPut,
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
from junheng_kit.i18n import t
from junheng_kit.messaging import add_event
from junheng_kit.problems import FieldError, NotFound, RuleViolated
from junheng_kit.timeutil import utcnow

# the catalogue in force at the start of the school year governs that year (as for assessments)
SCHOOL_YEAR_START = (9, 1)


CLASS_SIZE = "class_size"  # item 5 of 政府保障程度, measured on the county's class data
TRAINING_HOURS = "training_hours"  # item 9, measured on staffing's training counts


def catalogue_for_year(year: int) -> VerdictCatalogue:
    """The verdict catalogue governing a school year (422 `catalogue_in_force` when none)."""
    return _catalogue(year)


def class_size_caps(catalogue: VerdictCatalogue) -> dict[str, Decimal]:
    """班额 cap per level, from the catalogue's class-size item (primary 45, junior 50)."""
    by_name = {c.name: c.threshold for c in catalogue.item(CLASS_SIZE).criteria}
    return {level: by_name[name] for level, name in class_rules.LEVEL_CRITERIA.items()}


def _catalogue(year: int) -> VerdictCatalogue:
    try:
        return catalogue_in_force(date(year, *SCHOOL_YEAR_START))
    except LookupError as exc:
        raise RuleViolated(
            t(
                f"{year} 学年没有生效的认定指标目录",
                f"no verdict catalogue is in force for the {year} school year",
            ),
            FieldError("year", "catalogue_in_force"),
        ) from exc


def _spec(catalogue: VerdictCatalogue, key: str) -> ItemSpec:
    try:
        return catalogue.item(key)
    except KeyError as exc:
        raise NotFound(
            t(
                f"{key!r} 不是目录 {catalogue.version} 中的项目",
                f"{key!r} is not an item of catalogue {catalogue.version}",
            )
        ) from exc


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
    return answer.item_read(spec, outcome, record)


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
        county_code=county_code,
        year=year,
        social_recognition=answer.recognition_read(catalogue, outcome),
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
            t(
                "基本均衡认定不能晚于被评估的年份",
                "basic-balance recognition cannot come after the year assessed",
            ),
            FieldError(
                "basic_balance_recognised_year",
                "not_after_year",
                t(f"评估年份为 {year}", f"assessing {year}"),
            ),
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
        eligibility=answer.eligibility_read(catalogue, outcome),
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
        answer.resource_allocation(assessment)
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
        upload = await class_data.latest_import(session, county_code, year)
        if upload is not None:
            measure = await class_data.measure_classes(
                session, class_size_caps(catalogue), county_code, year
            )
            if measure.measured:  # judged on the levels that have ordinary classes
                spec = catalogue.item(CLASS_SIZE)
                spec = replace(
                    spec, criteria=tuple(c for c in spec.criteria if c.name in measure.measured)
                )
                outcome = rules.evaluate_item(spec, measured=measure.measured, finding=None)
                items[CLASS_SIZE] = (spec, outcome, None)
                class_size = (measure, upload)
    training = None
    if TRAINING_HOURS not in items and any(spec.key == TRAINING_HOURS for spec in catalogue.items):
        training = await _training_measure(session, catalogue, county_code=county_code, year=year)
        if training is not None:
            spec = catalogue.item(TRAINING_HOURS)
            measured = training_values(spec, training)
            outcome = rules.evaluate_item(spec, measured=measured, finding=None)
            items[TRAINING_HOURS] = (spec, outcome, None)
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
        key: answer.item_read(
            spec,
            outcome,
            record,
            classes=class_size if record is None and key == CLASS_SIZE else None,
            training=training if record is None and key == TRAINING_HOURS else None,
        )
        for key, (spec, outcome, record) in items.items()
    }
    parts = VerdictParts(
        resource_allocation=resource,
        government_assurance=answer.items_part(
            catalogue, "government_assurance", item_reads, combined
        ),
        education_quality=answer.items_part(catalogue, "education_quality", item_reads, combined),
        social_recognition=answer.recognition_read(catalogue, recognition),
        eligibility=answer.eligibility_read(catalogue, eligibility),
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
        failing_items=answer.failing_items(parts),
    )


async def _training_measure(
    session: AsyncSession, catalogue: VerdictCatalogue, *, county_code: str, year: int
) -> teacher_rules.TrainingMeasure | None:
    """教师5年360学时 on staffing's counts: every section of the county-year's resource data
    (special education excepted) counted for that school year under the catalogue's rule;
    None when any is missing (a stored review, or nothing, then decides)."""
    rule = catalogue.training_rule
    if rule is None:
        return None
    repository = VerdictInputRepository(session)
    required = await repository.county_sections(county_code, year)
    if not required:
        return None
    counts = await TeacherStatsRepository(session).training_counts_for(
        county_school_codes(county_code, year)
    )
    return teacher_rules.training_measure(
        required,
        counts,
        year=year,
        required_hours=rule.required_hours,
        window_years=rule.window_years,
    )


def training_values(spec: ItemSpec, measure: teacher_rules.TrainingMeasure) -> dict[str, Decimal]:
    """The item's measured values: teachers meeting the hours over teachers counted."""
    [criterion] = spec.criteria
    assert criterion.denominator is not None  # a share: completed ÷ teachers
    return {
        criterion.numerator: Decimal(measure.meeting),
        criterion.denominator: Decimal(measure.counted),
    }
