"""The 电脑派位 instance of a county's verified applications (the stored form of a run).

Set-based: one query for the applications' columns, one for the seat plans, one for which
chosen schools are 九年一贯制学校; tiers are computed per application in memory from the policy
in force. The instance has exactly the public shape of an explicit run, so the run can be
replayed from what it publishes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import orjson
from pydantic_core import from_json
from sqlalchemy import Row, String, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission import rules
from enrollment.admission.models import Application, PriorityPolicy
from enrollment.admission.policies import tiers_of
from enrollment.admission.repository import ApplicationRepository, PolicyRepository
from enrollment.lottery.schemas import AssignmentRunFromApplications
from enrollment.seats.models import SeatPlan
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, RuleViolated


def _json(value: Any) -> Any:
    return from_json(value) if isinstance(value, str | bytes) else value


def _parsed(
    rows: Sequence[Row[str, str, str, str, str, str | None]],
) -> list[tuple[str, Any, Any, Any, Any, str | None]]:
    """(id, household, home_schools, hukou_schools, choices, primary_school_code) of each row,
    the four JSON columns of all rows parsed in one call when the driver hands them over as text
    (one call per value costs seconds at 200,000 applications)."""
    if rows and all(isinstance(v, str | None) for v in rows[0][1:5]):
        try:
            values = orjson.loads(
                "["
                + ",".join(
                    f"[{h or 'null'},{a or 'null'},{b or 'null'},{c or 'null'}]"
                    for _, h, a, b, c, _ in rows
                )
                + "]"
            )
        except orjson.JSONDecodeError:
            values = None
        if values is not None and len(values) == len(rows):
            return [
                (_uuid_text(row[0]), *value, row[5])
                for row, value in zip(rows, values, strict=True)
            ]
    return [
        (_uuid_text(app_id), _json(household), _json(home), _json(hukou), _json(choices), primary)
        for app_id, household, home, hukou, choices, primary in rows
    ]


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
            t("没有生效的优先录取政策", "no priority policy is in force"),
            FieldError(
                "policy_on",
                "policy_published",
                t(
                    f"{on} 没有生效的 {request.county_code} {request.year} 年 {request.level} "
                    "招生规则",
                    f"no {request.level} admission rules of {request.county_code} for "
                    f"{request.year} were in force on {on}",
                ),
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
                Application.primary_school_code,
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
            t("没有可供派位的已核验申请", "there are no verified applications to assign"),
            FieldError(
                "county_code",
                "verified_applications",
                t(
                    f"{request.county_code} {request.year} 年没有已核验的 {request.level} 申请",
                    f"no verified {request.level} applications of {request.county_code} for "
                    f"{request.year}",
                ),
            ),
        )
    parsed = _parsed(rows)  # millions of small containers: the route pauses the collector
    chosen = sorted({code for row in parsed for code in row[4]})
    missing = [code for code in chosen if code not in seats]
    if missing:
        raise RuleViolated(
            t("申请人所选学校没有学位计划", "schools chosen by applicants have no seat plan"),
            FieldError(
                "county_code",
                "seat_plan_published",
                t(
                    f"请在派位前发布 {', '.join(missing)} 的 {request.year} 年学位计划（PUT "
                    f"/v1/schools/{{code}}/seats/{{year}}）",
                    f"publish the {request.year} seat plans of {', '.join(missing)} "
                    "(PUT /v1/schools/{code}/seats/{year}) before the run",
                ),
            ),
        )

    # 九年一贯制对口: an applicant's own nine-year school, when it chose it (one query for all)
    nine_year = await ApplicationRepository(session).nine_year_schools(
        {row[5] for row in parsed if row[5] is not None} & set(chosen)
    )

    # many families share a profile: the facts depend only on four stored household facts, and
    # a profile's tier at a school only on the three school facts — the school is its own
    # nine-year school, in its 户籍 zone, in its home zone — so the eight tiers of each distinct
    # profile are computed once and looked up for everyone else
    profiles: dict[tuple[Any, ...], tuple[int | None, ...]] = {}

    def tiers_of_profile(household: dict[str, Any]) -> tuple[int | None, ...]:
        permit = household.get("residence_permit")
        key = (
            household["hukou"]["county_code"],
            household["housing"],
            permit["issued_on"] if permit else None,
            household.get("social_insurance_months", 0),
        )
        found = profiles.get(key)
        if found is None:
            facts = rules.applicant_facts(
                rules.Household.from_document(household),
                county_code=request.county_code,
                reference_date=reference,
            )
            # index 4 × (own nine-year school) + 2 × (in 户籍 zone) + (in home zone)
            found = profiles[key] = tuple(
                rules.tier_at(
                    tiers, facts, hukou_in_zone=hukou, home_in_zone=home, own_primary_leaver=own
                )
                for own in (False, True)
                for hukou in (False, True)
                for home in (False, True)
            )
        return found

    applicants: list[dict[str, Any]] = []
    for app_id, household, home_schools, hukou_schools, choices, primary in parsed:
        at = tiers_of_profile(household)
        own = primary if primary in nine_year else None  # rules.own_nine_year_school, inline
        priorities = {}
        for code in choices:
            value = at[4 * (code == own) + 2 * (code in hukou_schools) + (code in home_schools)]
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
