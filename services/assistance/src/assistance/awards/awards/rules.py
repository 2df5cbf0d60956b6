"""Award rules: statuses and transitions, the 免申即享 proposal.

Pure: no I/O. domain.md §4.3: school panel review → 公示 of list and tiers for ≥ 5 working days
(county/city rules; the minimum is a setting) → approval.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from junheng_kit.problems import Conflict, FieldError


@dataclass(frozen=True, slots=True)
class AwardProposal:
    """One award the 应助尽助 scan proposes (免申即享): who, which programme and year, why."""

    student_id: UUID
    programme_code: str
    school_year: int
    category: str
    evidence: tuple[str, ...]  # agency assertion ids / category list refs


class AwardStatus(StrEnum):
    PROPOSED = "proposed"  # auto: from agency data, awaiting school review
    APPLIED = "applied"  # the school applied on the family's behalf
    REVIEWED = "reviewed"  # the school panel approved; ready for 公示
    REJECTED = "rejected"  # the panel refused, or an objection was upheld
    IN_PUBLICITY = "in_publicity"  # on a 公示 list
    APPROVED = "approved"  # the county approved: payable
    PAID = "paid"  # fully disbursed


class AwardSource(StrEnum):
    SCHOOL = "school"  # a school applied on the family's behalf
    AUTO = "auto"  # 免申即享: proposed from agency data


REVIEWABLE = frozenset({AwardStatus.PROPOSED, AwardStatus.APPLIED})
PAYABLE = frozenset({AwardStatus.APPROVED})


class WorkflowConflict(Conflict):
    """The award is not in a state that allows this step."""


def require_status(current: str, allowed: Iterable[AwardStatus], *, rule: str, action: str) -> None:
    if current not in {s.value for s in allowed}:
        raise WorkflowConflict(
            f"award is {current}: cannot {action}",
            FieldError("status", rule, f"{action} needs status {', '.join(sorted(allowed))}"),
        )
