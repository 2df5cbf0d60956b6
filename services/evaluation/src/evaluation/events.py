"""Evaluation's domain events (in process, `junheng_kit.reactions`): what one part of the service
records for another to react to in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class VerdictInputChanged:
    """An input of a county-year's verdict was stored: a reviewed item, the survey, the
    eligibility, the class data (班额), staffing's training counts of a school (培训学时) or an
    assessment (`assessment`: the one just stored, which the verdict then judges; None: the
    newest stored one counts). The verdict reacts by
    announcing `evaluation.verdict.changed` when its status or failing items changed."""

    county_code: str
    year: int
    assessment: Any = None
