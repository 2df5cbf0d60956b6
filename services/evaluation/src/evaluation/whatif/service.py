"""What-if use-case: load a stored assessment, apply the changes, re-assess, suggest a fix.

Nothing is stored: the answer is computed on each call from the assessment's canonical inputs
under the catalogue that assessment used.
"""

import json
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.assessment import rules
from evaluation.assessment.catalogue import catalogue_by_version
from evaluation.assessment.models import Assessment
from evaluation.assessment.repository import AssessmentRepository
from evaluation.assessment.schemas import SchoolSectionIn
from evaluation.assessment.service import SCOPE_KEYS, _section_input, result_document
from evaluation.whatif import rules as whatif_rules
from evaluation.whatif.schemas import (
    AddResourcesChange,
    Change,
    MoveTeachersChange,
    WhatIfRequest,
)
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, RuleViolated

RESULT_KEYS = ("schools", "cv", "resource_allocation")


async def what_if(
    session: AsyncSession, principal: Principal, *, assessment_id: UUID, request: WhatIfRequest
) -> dict[str, Any]:
    """假设分析: the assessment's sections with the changes applied, side by side with the
    baseline, and a greedy cheapest fix for the sections that still fail."""
    assessment = await AssessmentRepository(session).get(
        assessment_id, within=principal.jurisdiction
    )
    catalogue = catalogue_by_version(assessment.catalogue_version)
    baseline_sections = [_section_input(section) for section in stored_sections(assessment)]
    baseline = rules.assess(baseline_sections, catalogue)
    _refuse_excluded(assessment, request.changes)
    scenario_sections = whatif_rules.apply_changes(
        baseline_sections, [_change(change) for change in request.changes]
    )
    try:
        scenario = rules.assess(scenario_sections, catalogue)
    except RuleViolated as exc:  # e.g. every backbone teacher of a level moved away
        raise RuleViolated(
            t("方案无法评估：", "the scenario cannot be assessed: ") + exc.detail,
            *(FieldError("changes", error.rule, error.message) for error in exc.errors),
        ) from exc
    fix = whatif_rules.cheapest_fix(scenario_sections, scenario, catalogue)
    return {
        "assessment_id": str(assessment.id),
        "county_code": assessment.county_code,
        "year": assessment.year,
        "catalogue_version": catalogue.version,
        "changes_applied": len(request.changes),
        "baseline": _result(assessment, baseline),
        "scenario": _result(assessment, scenario),
        "changed_sections": [
            {
                "school_code": changed.school_code,
                "level": changed.level,
                "before_passed": changed.before_passed,
                "after_passed": changed.after_passed,
                "before_met_count": changed.before_met_count,
                "after_met_count": changed.after_met_count,
            }
            for changed in whatif_rules.changed_sections(
                baseline_sections, scenario_sections, baseline, scenario
            )
        ],
        "cheapest_fix": {
            "method": fix.method,
            "sections": [
                {
                    "school_code": section.school_code,
                    "level": section.level,
                    "additions": _numbers(section.additions),
                }
                for section in fix.sections
            ],
            "totals": _numbers(fix.totals),
            "resulting_resource_allocation": _result(assessment, fix.resulting)[
                "resource_allocation"
            ],
        },
    }


def stored_sections(assessment: Assessment) -> list[SchoolSectionIn]:
    """The sections an assessment assessed, from its canonical inputs, in the order of its
    answer (the order they were sent), so a re-assessment sums in the same order."""
    rows = json.loads(assessment.inputs)["schools"]
    sections = [SchoolSectionIn.model_validate(row) for row in rows]
    answered = {
        (school["school_code"], school["level"]): at
        for at, school in enumerate(assessment.result["schools"])
    }
    return sorted(sections, key=lambda s: answered.get((s.school_code, s.level), len(answered)))


def _refuse_excluded(assessment: Assessment, changes: list[Change]) -> None:
    """A change naming a section the county's scope rules left out of the assessment: 422
    saying so (it is not in the assessed inputs, so no scenario can include it)."""
    excluded = {(e["school_code"], e["level"]): e for e in assessment.result.get("excluded", [])}
    if not excluded:
        return
    for i, change in enumerate(changes):
        named = (
            [("from_school", change.from_school, change.from_level),
             ("to_school", change.to_school, change.to_level)]
            if isinstance(change, MoveTeachersChange)
            else [("school_code", change.school_code, change.level)]
        )  # fmt: skip
        for field, code, level in named:
            found = excluded.get((code, level))
            if found is not None:
                raise RuleViolated(
                    t(
                        "变更所指的学段已被本县的范围规则排除",
                        "a change names a section the county's scope rules left out",
                    ),
                    FieldError(f"changes[{i}].{field}", "section_excluded", found["reason"]),
                )


def _change(change: Change) -> whatif_rules.Change:
    if isinstance(change, MoveTeachersChange):
        return whatif_rules.MoveTeachers(
            from_school=change.from_school,
            from_level=change.from_level,
            to_school=change.to_school,
            to_level=change.to_level,
            teacher_kind=change.teacher_kind,
            count=change.count,
        )
    if isinstance(change, AddResourcesChange):
        return whatif_rules.AddResources(change.school_code, change.level, change.additions())
    return whatif_rules.SetStudents(change.school_code, change.level, change.students)


def _result(assessment: Assessment, outcome: rules.AssessmentOutcome) -> dict[str, Any]:
    """The assessment's own answer (result_document) reduced to the resource part, with the
    `excluded` and `scope` keys exactly when the assessment's answer carries them: the scope it
    was assessed under (its inputs are already scoped, so a scenario keeps it; the county's
    rules of today are not re-read)."""
    scope = {key: assessment.result[key] for key in SCOPE_KEYS if key in assessment.result}
    document = result_document(
        str(assessment.id),
        assessment.county_code,
        assessment.year,
        outcome,
        assessment.inputs_sha256,
        assessment.catalogue_version,
        scope or None,
    )
    return {key: document[key] for key in (*RESULT_KEYS, *SCOPE_KEYS) if key in document}


def _numbers(amounts: dict[str, int | Decimal]) -> dict[str, int | float]:
    # whole teachers and rooms stay JSON integers; m² and yuan (2 decimals) become floats
    return {
        field: amount if isinstance(amount, int) else float(amount)
        for field, amount in amounts.items()
    }
