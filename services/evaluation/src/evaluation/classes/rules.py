"""班额 on the real classes of every grade: government-assurance item 5, as the bureau's class
data (班级学生数, the roll per class) gives it.

Pure: no I/O. domain.md §2.5, §5.4 item 5: every class of a primary school ≤ 45 pupils, of a
junior school ≤ 50 (the caps come from the verdict catalogue in force); a class of 56 pupils or
more is a 大班额, of 66 or more a 超大班额 (`BANDS`, cited). A section's measured value is its
largest class; a level's is the largest class of any of its sections. Special-education
sections keep their classes on record but are not judged against the ordinary caps (their own
class standards differ; domain.md §5.1 leaves them out of the ordinary schools' measures).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Level = Literal["primary", "junior"]
LEVEL_CRITERIA: Mapping[str, str] = {
    "primary": "largest_primary_class",
    "junior": "largest_junior_class",
}
# 六三制 numbers grades 1–6 (primary) and 7–9 (junior); 五四制 puts grade 6 in junior school
GRADES: Mapping[str, range] = {"primary": range(1, 7), "junior": range(6, 10)}


@dataclass(frozen=True, slots=True)
class ClassBands:
    """Where a class becomes large (大班额) and extra-large (超大班额), with the source."""

    large_from: int
    extra_large_from: int
    source: str


BANDS = ClassBands(
    large_from=56,
    extra_large_from=66,
    source="domain.md §2.5: 大班额 ≥ 56, 超大班额 ≥ 66 pupils (SEC, 石家庄 2017)",
)


@dataclass(frozen=True, slots=True)
class ClassRow:
    """One class as the bureau reports it."""

    school_code: str
    level: Level
    grade: int
    name: str
    pupils: int


@dataclass(frozen=True, slots=True)
class OverCapClass:
    grade: int
    name: str
    pupils: int


@dataclass(frozen=True, slots=True)
class SectionClasses:
    """One school section's classes, measured against its level's cap."""

    school_code: str
    level: Level
    special_education: bool
    classes: int
    pupils: int
    largest_class: int
    cap: Decimal
    over_cap: tuple[OverCapClass, ...]  # largest first, then grade, then name
    large_classes: int  # ≥ BANDS.large_from
    extra_large_classes: int  # ≥ BANDS.extra_large_from
    pupils_over: int  # Σ (pupils − cap) over the classes over the cap

    @property
    def judged(self) -> bool:
        return not self.special_education

    @property
    def met(self) -> bool:
        return not self.over_cap


@dataclass(frozen=True, slots=True)
class LevelTotals:
    level: Level
    sections: int
    classes: int
    over_cap_classes: int
    large_classes: int
    extra_large_classes: int

    def share(self, count: int) -> Decimal:
        return Decimal(0) if self.classes == 0 else Decimal(count) / Decimal(self.classes)


@dataclass(frozen=True, slots=True)
class ClassSizeMeasure:
    measured: dict[str, Decimal]  # criterion → largest judged class; levels with classes only
    sections: list[SectionClasses]  # by level, school
    totals: list[LevelTotals]  # judged sections only

    @property
    def over_cap(self) -> list[SectionClasses]:
        """Judged sections with a class over the cap: primary first, largest class first."""
        over = [s for s in self.sections if s.judged and not s.met]
        return sorted(over, key=lambda s: (s.level != "primary", -s.largest_class, s.school_code))


def section_classes(
    school_code: str,
    level: Level,
    classes: Sequence[ClassRow],
    cap: Decimal,
    *,
    special_education: bool = False,
    bands: ClassBands = BANDS,
) -> SectionClasses:
    """One section's figures; `classes` is not empty."""
    sizes = [c.pupils for c in classes]
    over = sorted(
        (OverCapClass(c.grade, c.name, c.pupils) for c in classes if c.pupils > cap),
        key=lambda c: (-c.pupils, c.grade, c.name),
    )
    return SectionClasses(
        school_code=school_code,
        level=level,
        special_education=special_education,
        classes=len(sizes),
        pupils=sum(sizes),
        largest_class=max(sizes),
        cap=cap,
        over_cap=tuple(over),
        large_classes=sum(1 for p in sizes if p >= bands.large_from),
        extra_large_classes=sum(1 for p in sizes if p >= bands.extra_large_from),
        pupils_over=int(sum(Decimal(c.pupils) - cap for c in over)),
    )


def class_size(
    rows: Iterable[ClassRow],
    caps: Mapping[str, Decimal],
    *,
    special_education: frozenset[tuple[str, str]] = frozenset(),
    bands: ClassBands = BANDS,
) -> ClassSizeMeasure:
    """Every section's classes against its level's cap, the largest judged class per level
    and the county's totals (special-education sections, by (school, level): not judged)."""
    by_section: dict[tuple[str, str], list[ClassRow]] = defaultdict(list)
    for row in rows:
        by_section[(row.school_code, row.level)].append(row)
    sections = [
        section_classes(
            school,
            classes[0].level,
            classes,
            caps[level],
            special_education=(school, level) in special_education,
            bands=bands,
        )
        for (school, level), classes in sorted(
            by_section.items(), key=lambda item: (item[0][1] != "primary", item[0][0])
        )
    ]
    measured: dict[str, Decimal] = {}
    totals: list[LevelTotals] = []
    for level, criterion in LEVEL_CRITERIA.items():
        judged = [s for s in sections if s.level == level and s.judged]
        if not judged:
            continue
        measured[criterion] = Decimal(max(s.largest_class for s in judged))
        totals.append(
            LevelTotals(
                level=level,  # type: ignore[arg-type]
                sections=len(judged),
                classes=sum(s.classes for s in judged),
                over_cap_classes=sum(len(s.over_cap) for s in judged),
                large_classes=sum(s.large_classes for s in judged),
                extra_large_classes=sum(s.extra_large_classes for s in judged),
            )
        )
    return ClassSizeMeasure(measured, sections, totals)


def grade_fits(level: str, grade: int) -> bool:
    return grade in GRADES.get(level, range(0))
