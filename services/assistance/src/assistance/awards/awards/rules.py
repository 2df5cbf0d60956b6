"""Award rules: statuses, what a school's application must satisfy and how an award is priced.

Pure: no I/O. domain.md §4.1 (amounts), §4.3: school panel review → 公示 of list and tiers for
≥ 5 working days (county/city rules; the minimum is a setting) → approval; categories default to
the highest tier.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from assistance.programmes.rules import (
    Standard,
    Tier,
    highest_tier,
    school_year_start,
    standard_in_force,
    yearly_amount,
)
from assistance.students.schemas import StudentStatus
from junheng_kit.i18n import t
from junheng_kit.problems import Conflict, FieldError, RuleViolated


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
            t(f"资助状态为 {current}：不能{action}", f"award is {current}: cannot {action}"),
            FieldError(
                "status",
                rule,
                t(
                    f"{action} 需要状态为 {', '.join(sorted(allowed))}",
                    f"{action} needs status {', '.join(sorted(allowed))}",
                ),
            ),
        )


# --- pricing -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pupil:
    """The roster facts an award is checked and priced on."""

    county_code: str
    level: str  # primary | junior
    boarding: bool
    status: str  # StudentStatus


@dataclass(frozen=True, slots=True)
class ProgrammeTerms:
    """What an application needs of the programme version in force for the pupil's county."""

    code: str
    eligible_categories: tuple[str, ...]  # () = every pupil


@dataclass(frozen=True, slots=True)
class Priced:
    programme_code: str
    standard: Standard
    tier: str | None
    amount_yuan: Decimal


def check_application(
    pupil: Pupil,
    programme: ProgrammeTerms | None,
    standards: Sequence[Standard],
    *,
    programme_code: str,
    school_year: int,
    category: str | None,
    tier: str | None,
    amount_yuan: Decimal,
) -> Priced:
    """A school's application: the pupil is on the roster (422 `student_enrolled`), the
    programme is in force for their county on 1 September of the school year
    (`programme_known`) and covers the category (`category_eligible`), a standard is published
    (`standard_in_force`), and the amount is the standard's for the pupil's level, boarding and
    tier — the highest when none is named (`tier_known`, `amount_matches_standard`). Checked in
    that order; `standards` are the programme's, `programme` the version in force or None."""
    if pupil.status != StudentStatus.ENROLLED:
        raise RuleViolated(
            t("学生不在籍", "the student is not enrolled"),
            FieldError(
                "student_id",
                "student_enrolled",
                t(f"学籍状态为 {pupil.status}", f"roster status {pupil.status}"),
            ),
        )
    priced_on = school_year_start(school_year)
    if programme is None:
        raise RuleViolated(
            t("资助项目不存在", "the assistance programme does not exist"),
            FieldError(
                "programme_code",
                "programme_known",
                t(
                    f"{priced_on} {pupil.county_code} 没有生效的资助项目 {programme_code}",
                    f"no programme {programme_code} in force on {priced_on} for "
                    f"{pupil.county_code}",
                ),
            ),
        )
    if (
        category is not None
        and programme.eligible_categories
        and category not in programme.eligible_categories
    ):
        raise RuleViolated(
            t("该类别不在项目资助范围", "the category is not covered by the programme"),
            FieldError(
                "category",
                "category_eligible",
                t(
                    f"{programme.code} 资助的类别为 {', '.join(programme.eligible_categories)}",
                    f"{programme.code} covers {', '.join(programme.eligible_categories)}",
                ),
            ),
        )
    standard = standard_in_force(standards, county_code=pupil.county_code, on=priced_on)
    if standard is None:
        raise RuleViolated(
            t("资助标准未公布", "no assistance standard is published"),
            FieldError(
                "programme_code",
                "standard_in_force",
                t(
                    f"{programme.code} 在 {priced_on} 没有适用于 {pupil.county_code} "
                    "的生效标准：须先由本县公布",
                    f"{programme.code} has no standard in force on {priced_on} for "
                    f"{pupil.county_code}: the county publishes one first",
                ),
            ),
        )
    if tier is None:
        highest = highest_tier(standard)
        tier = highest.code if highest else None
    expected = yearly_amount(standard, level=pupil.level, boarding=pupil.boarding, tier=tier)
    if amount_yuan != expected:
        raise RuleViolated(
            t("金额与资助标准不符", "the amount does not match the assistance standard"),
            FieldError(
                "amount_yuan",
                "amount_matches_standard",
                t(
                    (
                        f"标准 {standard.id}（自 {standard.effective_from} 起）对 "
                        f"{pupil.level}、{'寄宿' if pupil.boarding else '非寄宿'} 的金额为 "
                        f"{expected}" + (f"，档次 {tier}" if tier else "")
                    ),
                    f"standard {standard.id} (from {standard.effective_from}) gives {expected} for "
                    f"{pupil.level}, {'boarding' if pupil.boarding else 'non-boarding'}"
                    + (f", tier {tier}" if tier else ""),
                ),
            ),
        )
    return Priced(programme.code, standard, tier, expected)


ProposalPrice = tuple[Standard, Tier | None, Decimal]


def proposal_price(
    standards: Sequence[Standard], school_year: int, county_code: str, level: str, boarding: bool
) -> ProposalPrice | str:
    """(standard, highest tier, amount) of an auto-proposed award, or why there is none
    (`no_standard`, `not_covered`): the standard in force on 1 September of the school year for
    the county, at the highest tier (categories default to it)."""
    standard = standard_in_force(
        standards, county_code=county_code, on=school_year_start(school_year)
    )
    if standard is None:
        return "no_standard"
    tier = highest_tier(standard)
    try:
        amount = yearly_amount(
            standard, level=level, boarding=boarding, tier=tier.code if tier else None
        )
    except RuleViolated:
        return "not_covered"
    return standard, tier, amount
