"""The county verdict's answer: the rules' outcomes shaped into what the API and the reports
read — the parts and their failing items, each item with its criteria, gaps and evidence (班额
and 培训学时 measured on the county's data carry their sections), the resource-allocation part
with its failing schools and CVs and their shortfalls."""

import json
from decimal import Decimal
from typing import Any

from evaluation.assessment import rules as assessment_rules
from evaluation.assessment.catalogue import Catalogue, catalogue_by_version
from evaluation.assessment.models import Assessment
from evaluation.classes import rules as class_rules
from evaluation.classes.models import ClassImport
from evaluation.classes.schemas import SectionClassesRead
from evaluation.teachers import rules as teacher_rules
from evaluation.teachers.schemas import TrainingSectionRead
from evaluation.verdict import rules
from evaluation.verdict.catalogue import ItemSpec, VerdictCatalogue
from evaluation.verdict.models import VerdictItemInput
from evaluation.verdict.schemas import (
    CriterionOut,
    EligibilityRead,
    Evidence,
    FailingCvOut,
    FailingItem,
    FailingSchoolOut,
    IndicatorShortfall,
    ItemRead,
    ItemsPart,
    RecognitionRead,
    ResourceAllocationPart,
    VerdictParts,
)
from junheng_kit.i18n import t

CLASS_DATA_REVIEWER = "the bureau's class data (班级学生数)"
TRAINING_REVIEWER = "staffing's teacher registry (教师培训记录)"


def class_source(upload: ClassImport) -> str:
    """How the verdict cites a county-year's class data: its version and upload."""
    return (
        f"class data {upload.county_code}/{upload.year} v{upload.version}: {upload.source} upload "
        f"{upload.content_sha256[:16]} by {upload.imported_by} at {upload.imported_at.isoformat()}"
    )


def training_evidence(measure: teacher_rules.TrainingMeasure) -> Evidence:
    """How the verdict cites staffing's training counts: the events, the requirement, the days."""
    first = measure.sections[0]
    days = sorted({s.as_of for s in measure.sections})
    span = days[0].isoformat() if len(days) == 1 else f"{days[0]}–{days[-1]}"
    return Evidence(
        title=f"教师培训学时：{first.required_hours} 学时 / {first.window_years} 年",
        reference=(
            f"staffing.school_teacher_stats.changed, {len(measure.sections)} school sections "
            f"as of {span} (each section's event in training_sections); {first.requirement_source}"
        )[:500],
    )


def items_part(
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


def item_read(
    spec: ItemSpec,
    outcome: rules.ItemOutcome,
    record: VerdictItemInput | None,
    *,
    classes: tuple[class_rules.ClassSizeMeasure, ClassImport] | None = None,
    training: teacher_rules.TrainingMeasure | None = None,
) -> ItemRead:
    """An item as judged: from its stored review, or (`record` None) from the class data (班额)
    or staffing's training counts (教师5年360学时)."""
    measured = outcome.basis == "measured"
    over, trained = None, None
    if record is None and training is not None:
        evidence = [training_evidence(training)]
        reviewer, note, source = TRAINING_REVIEWER, None, "staffing"
        trained = [TrainingSectionRead.of(section) for section in training.sections]
    elif record is None:
        assert classes is not None  # only 班额 and 培训学时 are judged without a stored review
        measure, upload = classes
        evidence = [Evidence(title=f"班级学生数 v{upload.version}", reference=class_source(upload))]
        reviewer, note, source = CLASS_DATA_REVIEWER, None, "classes"
        over = [SectionClassesRead.of(section) for section in measure.over_cap]
    else:
        evidence = [Evidence.model_validate(e) for e in record.evidence]
        reviewer, note, source = record.reviewer, record.note, "review"
    return ItemRead(
        key=spec.key,
        part=spec.part,
        number=spec.number,
        title_zh=spec.title_zh,
        met=outcome.met,
        basis=outcome.basis,
        threshold={c.name: c.threshold for c in outcome.criteria} if measured else None,
        gap={c.name: gap(c) for c in outcome.criteria if not c.met} if measured else None,
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
        unconfirmed=list(spec.unconfirmed),
        evidence=evidence,
        reviewer=reviewer,
        note=note,
        source=source,
        sections_over_cap=over,
        training_sections=trained,
    )


def gap(criterion: rules.CriterionOutcome) -> Decimal:
    """The gap a report quotes: whole people or places to add when counted, else the distance."""
    if criterion.missing is not None and criterion.missing_unit is not None:
        return criterion.missing
    assert criterion.gap is not None  # unmet criteria always have one
    return criterion.gap


def recognition_read(
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


def eligibility_read(
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


def resource_allocation(assessment: Assessment | None) -> ResourceAllocationPart:
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
        school = section(inputs[where])
        failing_schools.append(
            FailingSchoolOut(
                school_code=school.school_code,
                level=school.level,
                indicators=[
                    shortfall(school, key, indicator, catalogue)
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


def section(row: dict[str, Any]) -> assessment_rules.SectionInput:
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


def shortfall(
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


def training_failures(item: ItemRead, sections: list[TrainingSectionRead]) -> list[FailingItem]:
    """教师5年360学时 from staffing, per section short of it: the teachers still to complete."""
    key = f"{item.key}.{item.criteria[0].name}"
    return [
        FailingItem(
            part=item.part,
            key=key,
            school_code=s.school_code,
            level=s.level,
            gap=Decimal(s.teachers_counted - s.teachers_meeting_training_hours),
            unit="teachers",
            detail=t(
                f"{s.teachers_counted} 名专任教师中 {s.teachers_meeting_training_hours} 名在 "
                f"{s.window_from}–{s.as_of} 完成 {s.required_hours} 学时",
                f"{s.teachers_meeting_training_hours} of {s.teachers_counted} 专任教师 (full-time "
                f"teachers) with {s.required_hours} 学时 (training hours) in "
                f"{s.window_from}–{s.as_of}",
            ),
        )
        for s in sections
        if s.teachers_meeting_training_hours < s.teachers_counted
    ]


def failing_items(parts: VerdictParts) -> list[FailingItem]:
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
                    detail=t(
                        f"{indicator.value:.6g} < {indicator.threshold}（底线 {indicator.floor}）",
                        f"{indicator.value:.6g} < {indicator.threshold} (floor {indicator.floor})",
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
                detail=t(
                    f"差异系数 {cv.value:.6g} > {cv.limit}",
                    f"coefficient of variation (差异系数) {cv.value:.6g} > {cv.limit}",
                ),
            )
        )
    for items in (parts.government_assurance, parts.education_quality):
        for item in items.failing:
            if item.basis == "finding":
                out.append(
                    FailingItem(
                        part=item.part,
                        key=item.key,
                        detail=t("评审结论：未达标", "reviewer finding: not met"),
                    )
                )
                continue
            if item.training_sections is not None:  # 培训学时 from staffing: per section
                out += training_failures(item, item.training_sections)
                continue
            if item.sections_over_cap is not None:  # 班额 from the class data: per section
                for section in item.sections_over_cap:
                    out.append(
                        FailingItem(
                            part=item.part,
                            key=f"{item.key}.{class_rules.LEVEL_CRITERIA[section.level]}",
                            school_code=section.school_code,
                            level=section.level,
                            gap=Decimal(len(section.over_cap)),
                            unit="classes",
                            detail=t(
                                f"{section.classes} 个班中 {len(section.over_cap)} 个超过 "
                                f"{section.cap} 人：最大 {section.largest_class} 人，超出 "
                                f"{section.pupils_over} 人；大班额 {section.large_classes} 个，"
                                f"超大班额 {section.extra_large_classes} 个",
                                f"{len(section.over_cap)} of {section.classes} classes over "
                                f"{section.cap}: largest {section.largest_class}, "
                                f"{section.pupils_over} pupils over; 大班额 (large classes) "
                                f"{section.large_classes}, 超大班额 (extra-large classes) "
                                f"{section.extra_large_classes}",
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
                        detail=t(
                            f"{criterion.value}，要求 {criterion.comparator} {criterion.threshold}",
                            f"{criterion.value} vs {criterion.comparator} {criterion.threshold}",
                        ),
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
                detail=t(
                    f"满意度 {recognition.rate} < {recognition.threshold}",
                    f"{recognition.rate} < {recognition.threshold}",
                ),
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
                detail=t(
                    f"基本均衡认定后 {eligibility.years_since} 年",
                    f"{eligibility.years_since} years since basic balance",
                ),
            )
        )
    for veto in parts.vetoes:
        out.append(FailingItem(part="vetoes", key=veto.kind, detail=veto.evidence))
    return out
