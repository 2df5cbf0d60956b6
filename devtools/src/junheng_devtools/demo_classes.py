"""The demo county's classes (班级学生数), derived from its resource table: every section's pupils
spread over its grades in classes within the 班额 cap (primary 45, junior 50), except one real
57-pupil class in grade 4 of 东胜区第二小学 — a 大班额 that fails government-assurance item 5 in
the county verdict, as a bureau would see it. Invented figures, like the rest of the demo."""

from __future__ import annotations

from math import ceil
from typing import Any

CAPS = {"primary": 45, "junior": 50}
GRADES = {"primary": range(1, 7), "junior": range(7, 10)}
OVERSIZED = ("2115060002", "primary", 4, 57)  # school, level, grade, pupils of its 1班


def _spread(pupils: int, classes: int) -> list[int]:
    """`pupils` in `classes` classes as evenly as whole pupils allow, largest first."""
    base, extra = divmod(pupils, classes)
    return [base + 1 if n < extra else base for n in range(classes)]


def demo_classes(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per class for every section of the resource table; each section's classes hold
    exactly its 在校生数."""
    rows: list[dict[str, Any]] = []
    for section in sections:
        level, grades = section["level"], GRADES[section["level"]]
        cap = CAPS[level]
        per_grade = _spread(section["students"], len(grades))
        for grade, pupils in zip(grades, per_grade, strict=True):
            sizes = _spread(pupils, ceil(pupils / cap))
            code = section["school_code"]
            if (code, level, grade) == OVERSIZED[:3]:
                big = OVERSIZED[3]
                sizes = [big, *_spread(pupils - big, ceil((pupils - big) / cap))]
            rows += [
                {
                    "school_code": code,
                    "level": level,
                    "grade": grade,
                    "name": f"{n}班",
                    "pupils": size,
                }
                for n, size in enumerate(sizes, start=1)
            ]
    return rows
