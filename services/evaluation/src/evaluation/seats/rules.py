"""班额 as enrollment's seat plans plan it: the intake's view (the verdict judges item 5 on the
real classes, evaluation.classes).

Pure: no I/O. A seat plan gives a school's entry-grade classes for a level and year and the
seats planned in them; the largest class it implies is ceil(seats ÷ classes). Against the
catalogue's cap (primary ≤ 45, junior ≤ 50; domain.md §2.5, §5.4 item 5) a section over it needs
ceil(seats ÷ cap) − classes more classes, or has seats − classes × cap pupils over.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from math import ceil

LEVEL_CRITERIA = {"primary": "largest_primary_class", "junior": "largest_junior_class"}


@dataclass(frozen=True, slots=True)
class PlanFigures:
    """One seat plan as the read model holds it, with the event it came from."""

    school_code: str
    level: str
    planned_classes: int
    class_cap: int
    seats: int
    event_id: str
    version: int
    event_time: datetime

    @property
    def source(self) -> str:
        return seats_source(self.event_id, self.version, self.event_time)


@dataclass(frozen=True, slots=True)
class SectionOverCap:
    """A school section whose planned entry-grade classes exceed the cap."""

    school_code: str
    level: str
    planned_classes: int
    seats: int
    largest_class: int
    cap: Decimal
    classes_missing: int  # ceil(seats ÷ cap) − planned classes
    pupils_over: int  # seats − planned classes × cap
    source: str


@dataclass(frozen=True, slots=True)
class ClassSizeMeasure:
    measured: dict[str, Decimal]  # criterion name → largest class, levels with classes only
    over_cap: list[SectionOverCap]  # by level, then largest class (descending), then school
    plans: list[PlanFigures]  # every plan used, each cited by its own source


def seats_source(event_id: str, version: int, event_time: datetime) -> str:
    return f"enrollment seats event {event_id} v{version} at {event_time.isoformat()}"


def largest_class(plan: PlanFigures) -> int:
    """The largest class the plan implies: seats spread as evenly as whole pupils allow."""
    return ceil(plan.seats / plan.planned_classes)


def class_size(plans: Sequence[PlanFigures], caps: Mapping[str, Decimal]) -> ClassSizeMeasure:
    """The largest planned class per level and every section over its level's cap.

    Plans without classes (none opened this year) measure nothing; a level without any class
    has no measured value (its criterion is then not judged from seat plans).
    """
    measured: dict[str, Decimal] = {}
    over: list[SectionOverCap] = []
    for plan in plans:
        if plan.planned_classes == 0 or plan.level not in LEVEL_CRITERIA:
            continue
        largest = largest_class(plan)
        name = LEVEL_CRITERIA[plan.level]
        measured[name] = max(measured.get(name, Decimal(0)), Decimal(largest))
        cap = caps[plan.level]
        if largest > cap:
            over.append(
                SectionOverCap(
                    school_code=plan.school_code,
                    level=plan.level,
                    planned_classes=plan.planned_classes,
                    seats=plan.seats,
                    largest_class=largest,
                    cap=cap,
                    classes_missing=ceil(Decimal(plan.seats) / cap) - plan.planned_classes,
                    pupils_over=int(plan.seats - plan.planned_classes * cap),
                    source=plan.source,
                )
            )
    over.sort(key=lambda s: (s.level != "primary", -s.largest_class, s.school_code))
    return ClassSizeMeasure(measured, over, list(plans))
