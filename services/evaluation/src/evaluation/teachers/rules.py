"""Which teacher counts an assessment from stored data uses, how their source is written, and
when staffing's training counts measure the verdict's 教师5年360学时 item.

Pure: no I/O. Staffing's counts describe its registry on `as_of`; they stand for the school year
that contains that date (1 September to 31 August) and replace the uploaded counts of indicators
1–3 there; any other section, year or field keeps the uploaded number. The training counts
measure 政府保障程度第9项 of that school year only when they cover every section the county
reports for it.
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


@dataclass(frozen=True, slots=True)
class TrainingCounts:
    """One section's 教师5年360学时 counts from the read model, with the requirement they used
    and the event they came from."""

    school_code: str
    level: str
    counted: int  # 专任教师 in post
    meeting: int  # of them, with the required hours in the window
    required_hours: int
    window_years: int
    window_from: date
    as_of: date  # the window's last day
    requirement_source: str
    event_id: str
    version: int
    event_time: datetime

    @property
    def source(self) -> str:
        return staffing_source(self.event_id, self.version, self.event_time)


@dataclass(frozen=True, slots=True)
class TrainingMeasure:
    """政府保障程度第9项 measured on staffing's counts: every required section, in order."""

    sections: list[TrainingCounts]

    @property
    def counted(self) -> int:
        return sum(s.counted for s in self.sections)

    @property
    def meeting(self) -> int:
        return sum(s.meeting for s in self.sections)


def training_measure(
    required: Sequence[tuple[str, str]],
    counts: Mapping[tuple[str, str], TrainingCounts],
    *,
    year: int,
    required_hours: int,
    window_years: int,
) -> TrainingMeasure | None:
    """The county-year's training counts when staffing gave them for every `required` section
    (school, level) for that school year and under the item's own requirement (`required_hours`
    in `window_years`); else None — a part of the county, or counts under another rule, cannot
    judge a 100% completion rate. None too when no teacher is counted (nothing to judge)."""
    found: list[TrainingCounts] = []
    for key in required:
        section = counts.get(key)
        if section is None or school_year_of(section.as_of) != year:
            return None
        if (section.required_hours, section.window_years) != (required_hours, window_years):
            return None
        found.append(section)
    measure = TrainingMeasure(found)
    return measure if measure.counted > 0 else None
