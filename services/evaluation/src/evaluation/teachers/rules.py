"""Which teacher counts an assessment from stored data uses, and how their source is written.

Pure: no I/O. Staffing's counts describe its registry on `as_of`; they stand for the school year
that contains that date (1 September to 31 August) and replace the uploaded counts of indicators
1–3 there; any other section, year or field keeps the uploaded number.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from evaluation.assessment.schemas import SchoolSectionIn

TEACHER_FIELDS = ("teachers_above_required_degree", "backbone_teachers", "pe_arts_teachers")
NUMBER_FIELDS = (  # every number of a section, as `SchoolSectionIn` orders them
    "students",
    *TEACHER_FIELDS,
    "teaching_auxiliary_area_m2",
    "sports_venue_area_m2",
    "equipment_value_yuan",
    "multimedia_classrooms",
)
SCHOOL_YEAR_START = (9, 1)  # as in assessments: a school year runs from 1 September


@dataclass(frozen=True, slots=True)
class StaffingCounts:
    """One section's counts from the read model, with the event they came from."""

    school_code: str
    level: str
    teachers_above_required_degree: int
    backbone_teachers: int
    pe_arts_teachers: int
    as_of: date
    event_id: str
    version: int
    event_time: datetime

    @property
    def source(self) -> str:
        return staffing_source(self.event_id, self.version, self.event_time)


def staffing_source(event_id: str, version: int, event_time: datetime) -> str:
    return f"staffing event {event_id} v{version} at {event_time.isoformat()}"


def upload_source(content_sha256: str) -> str:
    return f"upload {content_sha256}"


def school_year_of(day: date) -> int:
    """The school year (by its start year) a date falls in: 2026-03-01 → 2025."""
    return day.year if (day.month, day.day) >= SCHOOL_YEAR_START else day.year - 1


def applicable(counts: StaffingCounts, year: int) -> bool:
    return school_year_of(counts.as_of) == year


@dataclass(frozen=True, slots=True)
class Overlaid:
    sections: list[SchoolSectionIn]  # the numbers an assessment uses
    from_staffing: list[StaffingCounts]  # the sections whose teacher counts staffing gave


def overlay(
    sections: Sequence[SchoolSectionIn],
    counts: Mapping[tuple[str, str], StaffingCounts],
    *,
    year: int,
) -> Overlaid:
    """The uploaded sections with indicators 1–3's counts taken from staffing where it has the
    school and level for that school year; the order of `sections` is kept."""
    merged: list[SchoolSectionIn] = []
    used: list[StaffingCounts] = []
    for section in sections:
        found = counts.get((section.school_code, section.level))
        if found is None or not applicable(found, year):
            merged.append(section)
            continue
        merged.append(
            section.model_copy(update={field: getattr(found, field) for field in TEACHER_FIELDS})
        )
        used.append(found)
    return Overlaid(merged, used)
