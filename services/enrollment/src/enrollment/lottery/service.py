"""Assignment-run use-cases: validate, assign with the pure rules, store, announce."""

import hashlib
import json
from collections import Counter
from datetime import date
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.lottery import comparison_rules, outcomes, rules
from enrollment.lottery.models import AssignmentRun
from enrollment.lottery.repository import AssignmentRunRepository
from enrollment.lottery.schemas import AssignmentRunCreate, AssignmentRunFromApplications
from junheng_contracts.enrollment import AssignmentPublished, AssignmentPublishedData
from junheng_kit.auth import Principal
from junheng_kit.ids import uuid7
from junheng_kit.messaging import add_event


def canonical_json(document: Any) -> bytes:
    """`document` as canonical JSON bytes: UTF-8, sorted keys, no whitespace, non-ASCII kept.

    Instances and results hold only strings, integers, booleans and null, for which orjson's
    output equals `json.dumps(…, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`
    byte for byte (a property test holds the two together) at a tenth of the time; whatever
    orjson refuses (an integer beyond 64 bits, a lone surrogate) takes the standard library."""
    try:
        return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return json.dumps(
            document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()


def _dumps(document: Any) -> str:
    return canonical_json(document).decode()


def canonical_instance(request: AssignmentRunCreate) -> bytes:
    """The instance as hashed for `input_sha256`.

    The request's JSON (seed, mechanism, tie_breaking, schools, applicants) as UTF-8 with
    sorted keys, no whitespace (separators "," and ":"), non-ASCII kept as is
    (`ensure_ascii=False`), lists in the order given, integers as integers.
    """
    return canonical_json(request.model_dump(mode="json"))


def instance_of(document: dict[str, Any]) -> rules.Instance:
    """The rules' instance of an instance document (the JSON form of `AssignmentRunCreate`)."""
    return rules.Instance(
        seed=document["seed"],
        mechanism=document["mechanism"],
        tie_breaking=document["tie_breaking"],
        schools=[rules.School(s["school_code"], s["capacity"]) for s in document["schools"]],
        applicants=[
            rules.Applicant(a["application_id"], tuple(a["preferences"]), a["priorities"])
            for a in document["applicants"]
        ],
    )


def to_instance(request: AssignmentRunCreate) -> rules.Instance:
    return rules.Instance(
        seed=request.seed,
        mechanism=request.mechanism,
        tie_breaking=request.tie_breaking,
        schools=[rules.School(s.school_code, s.capacity) for s in request.schools],
        applicants=[
            rules.Applicant(a.application_id, tuple(a.preferences), a.priorities)
            for a in request.applicants
        ],
    )


def result_document(
    run_id: UUID, instance: rules.Instance, outcome: rules.Outcome, input_sha256: str
) -> dict[str, Any]:
    """The answer to POST and GET, in the `AssignmentRunRead` shape."""
    document: dict[str, Any] = {
        "id": str(run_id),
        "seed": instance.seed,
        "mechanism": instance.mechanism,
        "tie_breaking": instance.tie_breaking,
        "input_sha256": input_sha256,
        "assignments": outcome.assignments,
        "cutoffs": {
            code: None if c is None else {"tier": c.tier, "lottery": c.lottery}
            for code, c in outcome.cutoffs.items()
        },
        "explanations": {
            application_id: [
                {
                    "school_code": e.school_code,
                    "reason": e.reason,
                    "tier": e.tier,
                    "lottery": e.lottery,
                    "cutoff_tier": e.cutoff_tier,
                    "cutoff_lottery": e.cutoff_lottery,
                }
                for e in reasons
            ]
            for application_id, reasons in outcome.explanations.items()
        },
    }
    if outcome.lotteries is not None:
        document["lotteries"] = outcome.lotteries
    return document


async def create_run_from_applications(
    session: AsyncSession,
    principal: Principal,
    *,
    request: AssignmentRunFromApplications,
    today: date,
) -> AssignmentRun:
    """电脑派位 over a county's verified applications: the instance is built from the seat
    plans and the priority rules in force, stored with the run and published for replay."""
    from enrollment.admission.instance import build_instance

    principal.require_jurisdiction(request.county_code, field="county_code")
    # the instance is built as its JSON document straight from validated rows: no second
    # validation and no model round trip (at 200,000 applicants both cost seconds)
    document, policy = await build_instance(session, request, today=today)
    run = await _create_run(session, principal, document, keep_outcomes=True)
    run.source = "applications"
    run.county_code = request.county_code
    run.year = request.year
    run.level = request.level
    run.policy_id = policy.id
    run.policy_version = policy.version
    await session.flush()
    return run


async def create_run(
    session: AsyncSession, principal: Principal, *, request: AssignmentRunCreate
) -> AssignmentRun:
    """电脑派位: assign an explicit instance and announce the result; anyone with the instance
    and the seed can replay it byte for byte."""
    return await _create_run(session, principal, request.model_dump(mode="json"))


async def _create_run(
    session: AsyncSession,
    principal: Principal,
    document: dict[str, Any],
    *,
    keep_outcomes: bool = False,
) -> AssignmentRun:
    """Assign, store and announce the instance `document` (`AssignmentRunCreate`'s JSON form,
    which is exactly what `canonical_instance` hashes). `keep_outcomes`: also store each
    family's row (lottery/outcomes.py) — for runs over stored applications, whose ids are the
    applications' and whose families read their own explanation."""
    run_id = uuid7()
    # a few million small containers, no cycles: the route runs with the collector paused
    instance = instance_of(document)
    rules.validate(instance)
    outcome = rules.assign(instance)
    canonical = canonical_json(document)
    digest = hashlib.sha256(canonical).hexdigest()
    result = _dumps(result_document(run_id, instance, outcome, digest))
    run = AssignmentRun(
        id=run_id,
        seed=instance.seed,
        mechanism=instance.mechanism,
        tie_breaking=instance.tie_breaking,
        input_sha256=digest,
        instance=canonical.decode(),
        result=result,
        province_codes=sorted({s.code[2:4] for s in instance.schools}),
        created_by=principal.client_id,
    )
    AssignmentRunRepository(session).add(run)
    await session.flush()
    if keep_outcomes:
        await outcomes.store(session, run_id, instance, outcome)
    admitted = Counter(code for code in outcome.assignments.values() if code is not None)
    add_event(
        session,
        AssignmentPublished.of(
            subject=str(run_id),
            jurisdiction=principal.jurisdiction.prefixes[0]
            if principal.jurisdiction.prefixes
            else "",
            data=AssignmentPublishedData(
                run_id=str(run_id),
                seed=instance.seed,
                mechanism=instance.mechanism,
                tie_breaking=instance.tie_breaking,
                input_sha256=digest,
                applicants=len(instance.applicants),
                placed=sum(admitted.values()),
                admitted={
                    s.code: admitted[s.code] for s in sorted(instance.schools, key=lambda s: s.code)
                },
            ),
        ),
    )
    return run


def compare_run(run: AssignmentRun) -> dict[str, Any]:
    """DA against immediate acceptance on the run's stored instance, in `ComparisonRead` shape."""
    request = AssignmentRunCreate.model_validate_json(run.instance)
    comparison = comparison_rules.compare(to_instance(request))

    def summary(s: comparison_rules.MechanismSummary) -> dict[str, Any]:
        return {
            "mechanism": s.mechanism,
            "first_choice_share": s.first_choice_share,
            "rank_distribution": s.rank_distribution,
        }

    return {
        "run_id": str(run.id),
        "run": summary(comparison.run),
        "other": summary(comparison.other),
        "better_under_other": comparison.better_under_other,
        "worse_under_other": comparison.worse_under_other,
        "gains": len(comparison.better_under_other),
        "losses": len(comparison.worse_under_other),
        "unchanged": comparison.unchanged,
    }


__all__ = [
    "canonical_instance",
    "compare_run",
    "create_run",
    "create_run_from_applications",
    "result_document",
]
