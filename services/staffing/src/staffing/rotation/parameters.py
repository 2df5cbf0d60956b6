"""The parameters a rotation plan reads: each value from the request, else the county's policy
row in force (the source of each recorded), a missing one a 422 naming it; and the share rules
a stored plan was made under, read back for approval and adherence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, RuleViolated
from staffing.policy.parameters import PolicyBook, PolicyRow
from staffing.rotation.rules import INDICATORS, SECTIONS, RotationParameters, Section
from staffing.rotation.schemas import ParameterUsed, RotationPlanCreate


@dataclass(frozen=True, slots=True)
class Resolved:
    parameters: RotationParameters
    retirement_age: dict[str, int]
    used: list[ParameterUsed]


@dataclass(slots=True)
class _Lookup:
    """Looks values up one by one, noting where each came from and each required one missing."""

    book: PolicyBook
    county_code: str
    on: date
    errors: list[FieldError] = field(default_factory=list)
    used: list[ParameterUsed] = field(default_factory=list)

    def pick(
        self, key: str, given: Any, where: str, *, qualifier: str = "", required: bool = True
    ) -> str | None:
        label = _label(key, qualifier)
        if given is not None:
            self.used.append(ParameterUsed(key=label, value=str(given), source="request"))
            return str(given)
        row: PolicyRow | None = self.book.find(key, self.county_code, self.on, (qualifier,))
        if row is None:
            if required:
                self.errors.append(
                    FieldError(
                        where,
                        f"{key}_required",
                        t(
                            f"{self.on.isoformat()} {self.county_code} 没有生效的 "
                            f"{label}；请为本县设置或在请求中给出",
                            f"no {label} in force for {self.county_code} on "
                            f"{self.on.isoformat()}; set it for the county or give it in the "
                            "request",
                        ),
                    )
                )
            self.used.append(ParameterUsed(key=label, value=None, source="not set"))
            return None
        self.used.append(ParameterUsed(key=label, value=row.value, source=row.source))
        return row.value


def resolve_parameters(
    book: PolicyBook, county_code: str, on: date, request: RotationPlanCreate
) -> Resolved:
    """The plan's parameters: the request's own values, else the county's policy in force; a
    value with no row and no request value is a 422 naming it (no silent default)."""
    lookup = _Lookup(book, county_code, on)
    pick = lookup.pick
    overrides = request.parameters
    min_share = pick("rotation_min_share", None, "parameters.min_share")
    backbone_share = pick("rotation_backbone_min_share", None, "parameters.backbone_min_share")
    denominator = pick("rotation_backbone_denominator", None, "parameters.backbone_denominator")
    # the pool's years at one school: the county's own condition (no built-in row), and who of
    # the pool rotates first: the provinces' 6 / 9 years (seed 000), none where no rule is in force
    trigger = pick("rotation_trigger_years", overrides.trigger_years, "parameters.trigger_years")
    priority = pick(
        "rotation_priority_years",
        overrides.priority_years,
        "parameters.priority_years",
        required=False,
    )
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
    thresholds: dict[tuple[str, Section], Decimal] = {}
    for indicator in INDICATORS:
        for section in SECTIONS:
            value = pick(
                "indicator_threshold", None, "thresholds", qualifier=f"{indicator}:{section}"
            )
            thresholds[(indicator, section)] = Decimal(value or 1)
    if lookup.errors:
        raise RuleViolated(
            t("a rotation (交流轮岗) parameter is missing", "交流轮岗参数缺失"), *lookup.errors
        )
    if not (
        min_share and backbone_share and denominator and trigger and window and male and female
    ):
        raise AssertionError("every required parameter was checked above")
    return Resolved(
        parameters=RotationParameters(
            min_share=Decimal(min_share),
            backbone_min_share=Decimal(backbone_share),
            backbone_denominator=denominator,  # type: ignore[arg-type]
            trigger_years=int(trigger),
            retirement_window_years=int(window),
            max_distance_km=Decimal(distance) if distance is not None else None,
            thresholds=thresholds,
            target_count=request.target_count,
            priority_years=int(priority) if priority is not None else None,
        ),
        retirement_age={"male": int(male), "female": int(female)},
        used=lookup.used,
    )


def _label(key: str, qualifier: str) -> str:
    return f"{key}.{qualifier}" if qualifier else key


def parameters_of(result: dict[str, Any]) -> RotationParameters:
    """The share rules a stored plan was made under (for approval and adherence)."""
    values = {p["key"]: p["value"] for p in result["parameters"]}
    return RotationParameters(
        min_share=Decimal(values["rotation_min_share"]),
        backbone_min_share=Decimal(values["rotation_backbone_min_share"]),
        backbone_denominator=values["rotation_backbone_denominator"],
        trigger_years=int(values["rotation_trigger_years"]),
        retirement_window_years=int(values["rotation_retirement_window_years"]),
        max_distance_km=None,
        thresholds={},
        priority_years=_int_or_none(values.get("rotation_priority_years")),
    )


def _int_or_none(value: str | None) -> int | None:
    """A stored plan's value, absent from plans made before the key existed."""
    return int(value) if value is not None else None
