"""The 电脑派位 instance of a county's verified applications (the stored form of a run).

Set-based: one query for the applications' columns, one for the seat plans; tiers are computed
per application in memory from the policy in force. The instance has exactly the public shape
of an explicit run, so the run can be replayed from what it publishes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic_core import from_json
from sqlalchemy import String, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission import rules
from enrollment.admission.models import Application, PriorityPolicy
from enrollment.admission.repository import PolicyRepository
from enrollment.admission.service import tiers_of
from enrollment.lottery.schemas import AssignmentRunFromApplications
from enrollment.seats.models import SeatPlan
from junheng_kit.problems import FieldError, RuleViolated


def _json(value: Any) -> Any:
    return from_json(value) if isinstance(value, str | bytes) else value


def _uuid_text(value: Any) -> str:
    """An id column read as text: SQLite keeps 32 hex digits, PostgreSQL a uuid."""
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)


async def build_instance(
    session: AsyncSession, request: AssignmentRunFromApplications, *, today: date
) -> tuple[dict[str, Any], PriorityPolicy]:
    """The instance document (`AssignmentRunCreate`'s JSON form, validated rows only) and the
    policy it was built under."""
    on = request.policy_on or today
    policy = await PolicyRepository(session).in_force(
        request.county_code, request.year, request.level, on=on
    )
    if policy is None:
        raise RuleViolated(
            "no priority policy is in force",
            FieldError(
                "policy_on",
                "policy_published",
                f"no {request.level} admission rules of {request.county_code} for "
                f"{request.year} were in force on {on}",
            ),
        )
    tiers = tiers_of(policy)
    reference = date.fromisoformat(policy.document["reference_date"])

    seats = {
        code: seats
        for code, seats in (
            await session.execute(
                select(SeatPlan.school_code, SeatPlan.seats).where(
                    SeatPlan.county_code == request.county_code,
                    SeatPlan.year == request.year,
                    SeatPlan.level == request.level,
                )
            )
        ).all()
    }
    rows = (
        await session.execute(
            # JSON columns as their stored text, parsed below by pydantic-core in one call
            # each: the ORM's per-value JSON processing costs more than the whole assignment
            select(
                type_coerce(Application.id, String),
                type_coerce(Application.household, String),
                type_coerce(Application.home_schools, String),
                type_coerce(Application.hukou_schools, String),
                type_coerce(Application.choices, String),
            )
            .where(
                Application.county_code == request.county_code,
                Application.year == request.year,
                Application.level == request.level,
                Application.status == "verified",
            )
            .order_by(Application.id)
        )
    ).all()
    if not rows:
        raise RuleViolated(
            "there are no verified applications to assign",
            FieldError(
                "county_code",
                "verified_applications",
                f"no verified {request.level} applications of {request.county_code} for "
                f"{request.year}",
            ),
        )
    parsed = [
        (_uuid_text(app_id), _json(household), _json(home), _json(hukou), _json(choices))
        for app_id, household, home, hukou, choices in rows
    ]
    chosen = sorted({code for row in parsed for code in row[4]})
    missing = [code for code in chosen if code not in seats]
    if missing:
        raise RuleViolated(
            "schools chosen by applicants have no seat plan",
            FieldError(
                "county_code",
                "seat_plan_published",
                f"publish the {request.year} seat plans of {', '.join(missing)} "
                "(PUT /v1/schools/{code}/seats/{year}) before the run",
            ),
        )

    # many families share a profile: tiers are computed once per (facts, in 户籍 zone, in
    # home zone) and looked up for everyone else
    tier_cache: dict[tuple[Any, ...], int | None] = {}

    def tier(facts: dict[str, bool | int], hukou_in_zone: bool, home_in_zone: bool) -> int | None:
        key = (*facts.values(), hukou_in_zone, home_in_zone)
        if key not in tier_cache:
            tier_cache[key] = rules.tier_at(
                tiers, facts, hukou_in_zone=hukou_in_zone, home_in_zone=home_in_zone
            )
        return tier_cache[key]

    applicants: list[dict[str, Any]] = []
    for app_id, household, home_schools, hukou_schools, choices in parsed:
        facts = rules.applicant_facts(
            rules.Household.from_document(household),
            county_code=request.county_code,
            reference_date=reference,
        )
        priorities = {}
        for code in choices:
            value = tier(facts, code in hukou_schools, code in home_schools)
            if value is not None:
                priorities[code] = value
        applicants.append(
            {"application_id": app_id, "preferences": choices, "priorities": priorities}
        )
    document = {
        "seed": request.seed,
        "mechanism": request.mechanism,
        "tie_breaking": request.tie_breaking,
        "schools": [{"school_code": c, "capacity": seats[c]} for c in sorted(seats)],
        "applicants": applicants,
    }
    return document, policy
