"""Assessment use-cases: validate, compute with the pure rules, store, announce."""

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.assessment import rules
from evaluation.assessment.catalogue import INDICATOR_KEYS, catalogue_in_force
from evaluation.assessment.models import Assessment
from evaluation.assessment.repository import AssessmentRepository
from evaluation.assessment.schemas import (
    AssessmentCreate,
    AssessmentSourcesRead,
    SchoolSectionIn,
    SectionSources,
    SharedAmount,
    SharedShare,
    UploadRead,
)
from evaluation.events import VerdictInputChanged
from evaluation.resources.service import StoredData, stored_data_in_use
from evaluation.scope import rules as scope_rules
from evaluation.scope.service import rules_in_force
from evaluation.teachers.rules import NUMBER_FIELDS, TEACHER_FIELDS, staffing_source, upload_source
from evaluation.trends.rules import CvFigure, summarise
from junheng_contracts.evaluation import AssessmentCompleted, AssessmentCompletedData
from junheng_kit import reactions
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.ids import uuid7
from junheng_kit.messaging import add_event
from junheng_kit.problems import FieldError, NotFound, RuleViolated

# the catalogue in force at the start of the school year governs that year's assessment
SCHOOL_YEAR_START = (9, 1)
# the keys an answer carries only when the county had scope rules in force (domain.md §5.1)
SCOPE_KEYS = ("excluded", "scope")
CLASSIFICATIONS = {"teaching_point", "special_education"}  # of a section; never hashed


def canonical_inputs(county_code: str, year: int, sections: list[SchoolSectionIn]) -> bytes:
    """The inputs as hashed for `inputs_sha256`.

    UTF-8 JSON with sorted keys, no whitespace (separators "," and ":"), non-ASCII kept as is;
    sections sorted by (school_code, level); counts as integers, areas and money as the numbers
    sent, parsed as JSON floats (so 6000 and 6000.0 hash alike). `teaching_point` and
    `special_education` are classifications, not numbers: they are left out. The sections are
    those assessed: special-education schools and teaching points left out are absent, shared
    resources are added as split.
    """
    rows = sorted(
        (section.model_dump(exclude=CLASSIFICATIONS) for section in sections),
        key=lambda row: (row["school_code"], row["level"]),
    )
    document = {"county_code": county_code, "year": year, "schools": rows}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _check_sections(sections: list[SchoolSectionIn]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for index, section in enumerate(sections):
        key = (section.school_code, section.level)
        if key in seen:
            raise RuleViolated(
                t("同一学校学段被列出两次", "a school section is listed twice"),
                FieldError(
                    f"schools[{index}].school_code",
                    "section_unique",
                    t(
                        f"{section.school_code} {section.level} 与 schools[{seen[key]}] 重复",
                        f"{section.school_code} {section.level} is also schools[{seen[key]}]",
                    ),
                ),
            )
        seen[key] = index


def _section_input(section: SchoolSectionIn) -> rules.SectionInput:
    return rules.SectionInput(
        school_code=section.school_code,
        level=section.level,
        students=section.students,
        teachers_above_required_degree=section.teachers_above_required_degree,
        backbone_teachers=section.backbone_teachers,
        pe_arts_teachers=section.pe_arts_teachers,
        teaching_auxiliary_area_m2=section.teaching_auxiliary_area_m2,
        sports_venue_area_m2=section.sports_venue_area_m2,
        equipment_value_yuan=section.equipment_value_yuan,
        multimedia_classrooms=section.multimedia_classrooms,
    )


def result_document(
    assessment_id: str,
    county_code: str,
    year: int,
    outcome: rules.AssessmentOutcome,
    inputs_sha256: str,
    catalogue_version: str,
    scope: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The response body of POST/GET /v1/assessments: keys exactly as the public contract, and
    the additive `excluded` and `scope` keys when the county had scope rules in force (`scope`:
    `scope_document`'s answer, or the one an assessment stored)."""
    as_float: dict[Decimal, float] = {}  # a handful of thresholds, 14,000 cells

    def threshold(value: Decimal) -> float:
        found = as_float.get(value)
        if found is None:
            found = as_float[value] = float(value)
        return found

    document = {
        "id": assessment_id,
        "county_code": county_code,
        "year": year,
        "schools": [
            {
                "school_code": section.school_code,
                "level": section.level,
                "indicators": {
                    key: {
                        "value": result.value,
                        "threshold": threshold(result.threshold),
                        "met": result.met,
                        "within_85": result.within_85,
                    }
                    for key, result in section.indicators.items()
                },
                "met_count": section.met_count,
                "passed": section.passed,
            }
            for section in outcome.sections
        ],
        "cv": {
            level: {
                key: {"value": cv.value, "limit": float(cv.limit), "passed": cv.passed}
                for key, cv in by_key.items()
            }
            for level, by_key in outcome.cv.items()
        },
        "resource_allocation": {
            "passed": outcome.resource_allocation_passed,
            "failing_schools": outcome.failing_schools,
            "failing_cv": outcome.failing_cv,
        },
        "inputs_sha256": inputs_sha256,
        "catalogue_version": catalogue_version,
    }
    if scope:  # only then: without county rules the answer keeps the exact shape
        document.update({key: scope[key] for key in SCOPE_KEYS})
    return document


async def create_assessment(
    session: AsyncSession, principal: Principal, *, request: AssessmentCreate
) -> Assessment:
    """资源配置评估: assess a county's school sections against the catalogue in force."""
    principal.require_jurisdiction(request.county_code, field="county_code")
    if request.schools is None:
        try:
            stored = await stored_data_in_use(
                session, county_code=request.county_code, year=request.year
            )
        except NotFound as exc:
            raise RuleViolated(
                t(
                    "没有已存储的资源配置数据可供评估：请先导入或发送 `schools`",
                    "no stored resource data to assess: import it or send `schools`",
                ),
                FieldError(
                    "schools",
                    "resource_data_required",
                    t(
                        f"区县 {request.county_code} 没有 {request.year} 年的资源配置数据",
                        f"county {request.county_code} has no resource data for {request.year}",
                    ),
                ),
            ) from exc
        sections = stored.in_use.sections
        sources = _stored_sources(stored)
    else:
        sections = list[SchoolSectionIn](request.schools)
        sources = {"origin": "request"}
    _check_sections(sections)
    in_force = {
        rule.key: rule
        for rule in await rules_in_force(
            session, request.county_code, date(request.year, *SCHOOL_YEAR_START)
        )
    }
    scoped = scope_rules.apply_scope(
        sections,
        request.shared_resources or [],
        min_pupils=in_force.get("min_pupils_teaching_point"),
        weights=in_force.get("combined_school_weights"),
    )
    if scoped.splits:
        sources = {
            **sources,
            "shared_splits": _split_sources(in_force["combined_school_weights"], scoped, sections),
        }
    sections = scoped.sections
    try:
        catalogue = catalogue_in_force(date(request.year, *SCHOOL_YEAR_START))
    except LookupError as exc:
        raise RuleViolated(
            t(
                f"{request.year} 学年没有生效的指标目录",
                f"no indicator catalogue is in force for the {request.year} school year",
            ),
            FieldError("year", "catalogue_in_force"),
        ) from exc
    inputs = [_section_input(s) for s in sections]
    outcome = rules.assess(inputs, catalogue)
    canonical = canonical_inputs(request.county_code, request.year, sections)
    digest = hashlib.sha256(canonical).hexdigest()
    assessment_id = uuid7()
    document = result_document(
        str(assessment_id),
        request.county_code,
        request.year,
        outcome,
        digest,
        catalogue.version,
        scope_document(list(in_force.values()), scoped) if in_force or scoped.excluded else None,
    )
    assessment = Assessment(
        id=assessment_id,
        county_code=request.county_code,
        year=request.year,
        catalogue_version=catalogue.version,
        inputs_sha256=digest,
        resource_allocation_passed=outcome.resource_allocation_passed,
        inputs=canonical.decode(),
        result=document,
        summary=summarise(
            inputs,
            [section.passed for section in outcome.sections],
            {
                level: {k: CvFigure(c.value, float(c.limit), c.passed) for k, c in by_key.items()}
                for level, by_key in outcome.cv.items()
            },
            outcome.failing_cv,
            catalogue,
        ),
        sources=sources,
        requested_by=principal.client_id,
    )
    AssessmentRepository(session).add(assessment)
    await session.flush()
    add_event(
        session,
        AssessmentCompleted.of(
            subject=str(assessment_id),
            jurisdiction=request.county_code,
            data=AssessmentCompletedData(
                assessment_id=str(assessment_id),
                county_code=request.county_code,
                year=request.year,
                catalogue_version=catalogue.version,
                inputs_sha256=digest,
                resource_allocation_passed=outcome.resource_allocation_passed,
                failing_schools=outcome.failing_schools,
                failing_cv=outcome.failing_cv,
            ),
        ),
    )
    reactions.record(session, VerdictInputChanged(request.county_code, request.year, assessment))
    return assessment


def scope_document(
    in_force: list[scope_rules.RuleInForce], scoped: scope_rules.Scoped
) -> dict[str, Any]:
    """The additive `excluded` and `scope` keys of an assessment under county scope rules."""
    return {
        "excluded": [
            {
                "school_code": e.school_code,
                "level": e.level,
                "name": e.name,
                "students": e.students,
                "rule": e.rule,
                "reason": e.reason,
            }
            for e in scoped.excluded
        ],
        "scope": {
            "rules": [
                {
                    "key": rule.key,
                    "value": dict(rule.value),
                    "effective_from": rule.effective_from.isoformat(),
                    "effective_to": None
                    if rule.effective_to is None
                    else rule.effective_to.isoformat(),
                    "citation": rule.citation,
                }
                for rule in sorted(in_force, key=lambda r: r.key)
            ],
            "shared_splits": [
                {
                    "school_code": split.school_code,
                    "kind": split.kind,
                    "shares": {part: float(share) for part, share in split.shares.items()},
                }
                for split in scoped.splits
            ],
        },
    }


def _split_sources(
    rule: scope_rules.RuleInForce, scoped: scope_rules.Scoped, sent: list[SchoolSectionIn]
) -> list[dict[str, Any]]:
    """What `assessment.sources` keeps of each combined school's split (domain.md §5.1): the
    rule version, the weights and pupils, each part's share, the shared amounts and each
    assessed part's own amounts before its share was added."""
    own: dict[tuple[str, str], SchoolSectionIn] = {(s.school_code, s.level): s for s in sent}
    return [
        {
            "school_code": split.school_code,
            "kind": split.kind,
            "rule": rule.key,
            "effective_from": rule.effective_from.isoformat(),
            "citation": rule.citation,
            "weights": {part: str(weight) for part, weight in split.weights.items()},
            "pupils": dict(split.pupils),
            "shares": {part: float(share) for part, share in split.shares.items()},
            "shared": dict(split.shared),
            "own": {
                part: {
                    field: getattr(own[(split.school_code, part)], field)
                    for field in scope_rules.SHARED_FIELDS
                }
                for part in split.shares
                if (split.school_code, part) in own
            },
        }
        for split in scoped.splits
    ]


def _stored_sources(stored: StoredData) -> dict[str, Any]:
    """What `assessment.sources` keeps for an assessment of stored data: the upload, and the
    sections whose teacher counts came from staffing's events (everything else: the upload)."""
    record = stored.record
    return {
        "origin": "stored",
        "upload": {
            "content_sha256": record.content_sha256,
            "source": record.source,
            "imported_by": record.imported_by,
            "imported_at": record.imported_at.isoformat(),
        },
        "staffing": [
            {
                "school_code": counts.school_code,
                "level": counts.level,
                "event_id": counts.event_id,
                "version": counts.version,
                "event_time": counts.event_time.isoformat(),
            }
            for counts in stored.in_use.from_staffing
        ],
    }


def assessment_sources(assessment: Assessment) -> AssessmentSourcesRead:
    """数据来源: per section and number, where the assessed value came from — the request,
    the upload (by its SHA-256) or a staffing event (id, version, time)."""
    recorded = assessment.sources
    origin = "unrecorded" if recorded is None else recorded["origin"]
    rows = json.loads(assessment.inputs)["schools"] if recorded is not None else []
    upload = None
    by_section: dict[tuple[str, str], str] = {}
    if origin == "request":
        default = "request"
    elif origin == "stored":
        assert recorded is not None
        upload = UploadRead.model_validate(recorded["upload"])
        default = upload_source(upload.content_sha256)
        by_section = {
            (entry["school_code"], entry["level"]): staffing_source(
                entry["event_id"], entry["version"], datetime.fromisoformat(entry["event_time"])
            )
            for entry in recorded["staffing"]
        }
    splits = {entry["school_code"]: entry for entry in (recorded or {}).get("shared_splits", [])}
    sections = []
    for row in rows:
        staffing = by_section.get((row["school_code"], row["level"]))
        numbers = {
            field: staffing if staffing and field in TEACHER_FIELDS else default
            for field in NUMBER_FIELDS
        }
        split = splits.get(row["school_code"])
        shared = None
        if split is not None and row["level"] in split["own"]:
            shared = _shared_share(split, row["level"])
            for field, amount in shared.amounts.items():
                if amount.added:
                    numbers[field] = f"{numbers[field]} + {shared.source}"
        sections.append(
            SectionSources(
                school_code=row["school_code"],
                level=row["level"],
                sources=numbers,
                shared=shared,
            )
        )
    return AssessmentSourcesRead(
        assessment_id=str(assessment.id),
        county_code=assessment.county_code,
        year=assessment.year,
        inputs_sha256=assessment.inputs_sha256,
        origin=origin,
        upload=upload,
        sections=sections,
    )


def _shared_share(split: dict[str, Any], level: str) -> SharedShare:
    """One assessed part's share of its combined school's shared resources, as recorded."""
    share = split["shares"][level]
    weights = " : ".join(f"{part} {weight}" for part, weight in split["weights"].items())
    return SharedShare(
        rule=split["rule"],
        kind=split["kind"],
        effective_from=split["effective_from"],
        citation=split["citation"],
        weights=split["weights"],
        pupils=split["pupils"],
        share=share,
        amounts={
            field: SharedAmount(
                own=split["own"][level][field],
                shared=shared,
                added=shared * share,  # as the split added it (scope.rules.apply_scope)
            )
            for field, shared in split["shared"].items()
        },
        source=f"{share:.6f} of {split['school_code']}'s shared_resources "
        f"({split['rule']} {split['kind']} {weights}, from {split['effective_from']})",
    )


__all__ = [
    "INDICATOR_KEYS",
    "assessment_sources",
    "canonical_inputs",
    "create_assessment",
    "result_document",
]
