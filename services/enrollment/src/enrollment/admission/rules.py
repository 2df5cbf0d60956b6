"""Admission rules (domain.md §1.5, §2.2, §2.3): pure functions over plain data.

Nothing here reads a database or a clock: the age rule, the child's and the choices' checks,
the documents a migrant family must show, and the review state machine. The household facts a
priority policy can test and the tier it gives an applicant at a school are in
`priority_rules.py`, named here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

# the household facts and the tiers of a priority policy (priority_rules.py), named here too
from enrollment.admission.priority_rules import BOOLEAN_FACTS as BOOLEAN_FACTS
from enrollment.admission.priority_rules import FACT_LEVELS as FACT_LEVELS
from enrollment.admission.priority_rules import FACTS as FACTS
from enrollment.admission.priority_rules import MONTH_FACTS as MONTH_FACTS
from enrollment.admission.priority_rules import Condition as Condition
from enrollment.admission.priority_rules import Household as Household
from enrollment.admission.priority_rules import Tier as Tier
from enrollment.admission.priority_rules import applicant_facts as applicant_facts
from enrollment.admission.priority_rules import fact_level_errors as fact_level_errors
from enrollment.admission.priority_rules import own_nine_year_school as own_nine_year_school
from enrollment.admission.priority_rules import priorities as priorities
from enrollment.admission.priority_rules import tier_at as tier_at
from junheng_kit.i18n import Message, t
from junheng_kit.identifiers import citizen_id_birth_date, student_number_citizen_id
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import whole_months as whole_months  # the kit's; callers name it here

Level = Literal["primary", "junior"]
Status = Literal[
    "submitted", "verifying", "verified", "needs_documents", "rejected", "withdrawn", "admitted"
]

ENTRY_GRADE: dict[Level, int] = {"primary": 1, "junior": 7}
LEVEL_OF_GRADE: dict[int, Level] = {1: "primary", 7: "junior"}

# school registry levels (学段) → the entry levels a school admits to
ADMITS: dict[str, frozenset[Level]] = {
    "primary": frozenset({"primary"}),
    "junior": frozenset({"junior"}),
    "nine_year": frozenset({"primary", "junior"}),
    "complete_secondary": frozenset({"junior"}),
}

# staged review (issue 5 §3): who may move an application where. `withdrawn`: the family
# withdraws before admission (issue 18 §3); `admitted` is reached only by 录取确认 (a run's
# confirmation or 统筹, admission/placement.py), never by a review step, and is final
TRANSITIONS: dict[Status, frozenset[Status]] = {
    "submitted": frozenset({"verifying", "rejected", "withdrawn"}),
    "verifying": frozenset({"verified", "needs_documents", "rejected", "withdrawn"}),
    "needs_documents": frozenset({"verifying", "rejected", "withdrawn"}),
    "verified": frozenset({"verifying", "withdrawn"}),  # re-opened when a fact turns out wrong
    "rejected": frozenset(),
    "withdrawn": frozenset(),
    "admitted": frozenset(),
}
ADMISSION_STANDS = FieldError(
    "to",
    "admission_stands",
    t(
        "已录取的申请不能再审核、驳回或撤回",
        "an admitted application cannot be re-opened, rejected or withdrawn while its admission "
        "stands",
    ),
)

DOCUMENTS = (
    "hukou_booklet",  # 户口簿
    "property_deed",  # 房产证 / 不动产权证
    "registered_lease",  # 登记备案的租赁合同
    "residence_permit",  # 居住证 (or proof of application)
    "lawful_job",  # 劳动合同 / 营业执照
    "social_insurance",  # 社保缴费证明
)


def entry_cutoff(year: int, level: Level, cutoff_month_day: tuple[int, int]) -> date | None:
    """The latest birth date admitted to grade 1 of school year `year`: 6 years old on or
    before the cut-off day (default 31 August, inclusive; domain.md §1.5). Junior has none."""
    if level != "primary":
        return None
    month, day = cutoff_month_day
    return date(year - 6, month, day)


def old_enough(
    birth_date: date, year: int, level: Level, cutoff_month_day: tuple[int, int]
) -> bool:
    """Born 2013-08-31 enters 2019; born 2013-09-01 enters 2020 (cut-off 08-31)."""
    latest = entry_cutoff(year, level, cutoff_month_day)
    return latest is None or birth_date <= latest


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason an application is refused: the problem's detail, the field error, and whether
    it breaks a policy rule (422 rule-violated) or is plain bad input (422 invalid-input)."""

    detail: Message
    error: FieldError
    is_policy: bool = False


def child_problems(
    citizen_id: str,
    birth_date: date,
    *,
    year: int,
    level: Level,
    cutoff_month_day: tuple[int, int],
    today: date,
    student_number: str | None = None,
) -> list[Problem]:
    """The child's checks after the schema's (format and MOD 11-2 check digit): a G 学籍号
    carrying the citizen ID given, the birth date inside the ID, a birth date in the past, and
    the age rule. The first problem is the one a single submission reports; an import reports
    them all."""
    problems = []
    mismatch = student_number_mismatch(citizen_id, student_number)
    if mismatch is not None:
        problems.append(mismatch)
    if citizen_id_birth_date(citizen_id) != birth_date:
        problems.append(
            Problem(
                t("出生日期与公民身份号码不一致", "the birth date does not match the citizen ID"),
                FieldError(
                    "child.birth_date",
                    "citizen_id_birth_date",
                    t(
                        "公民身份号码第 7–14 位必须是所填出生日期",
                        "positions 7–14 of the 公民身份号码 (citizen ID) must be the birth date "
                        "given",
                    ),
                ),
            )
        )
    if birth_date > today:
        problems.append(
            Problem(
                t("出生日期在未来", "the birth date is in the future"),
                FieldError(
                    "child.birth_date",
                    "birth_date_past",
                    t("儿童应在申请前出生", "a child is born before applying"),
                ),
            )
        )
    if not old_enough(birth_date, year, level, cutoff_month_day):
        latest = entry_cutoff(year, level, cutoff_month_day)
        month, day = cutoff_month_day
        problems.append(
            Problem(
                t("该儿童今年未达到一年级入学年龄", "the child is too young for grade 1 this year"),
                FieldError(
                    "child.birth_date",
                    "entry_age",
                    t(
                        f"{year} 年一年级招收 {latest} 及以前出生的儿童（{month:02d}-{day:02d} "
                        "前满 6 周岁，义务教育法第十一条）",
                        f"grade 1 of {year} takes children born on or before {latest} (6 years "
                        f"old by {month:02d}-{day:02d}, 义务教育法 Compulsory Education Law Art. "
                        "11)",
                    ),
                ),
                is_policy=True,
            )
        )
    return problems


def student_number_mismatch(citizen_id: str, student_number: str | None) -> Problem | None:
    """A G 学籍号 is "G + 身份证号" (MOE, 中小学生学籍管理常见问题及解答, 2016; domain.md §1.4):
    sent with the child's 公民身份号码, it must carry that same ID — a mistyped digit is by far the
    likelier cause. The FAQ lets the two differ after an ID change; such a child applies without
    the number (it is optional). J and L numbers hold no citizen ID: nothing to compare."""
    carried = student_number_citizen_id(student_number) if student_number else None
    if carried is None or carried == citizen_id:
        return None
    return Problem(
        t(
            "学籍号未包含该儿童的公民身份号码",
            "the 学籍号 (student number) does not carry the child's citizen ID",
        ),
        FieldError(
            "child.student_number",
            "student_number_matches_citizen_id",
            t(
                "G 字头学籍号 = G + 公民身份号码：学籍号与身份证号不一致",
                "a G student number (学籍号) is G and the child's citizen ID; this one carries "
                "another ID",
            ),
        ),
    )


def primary_school_problems(
    primary_school_code: str | None,
    *,
    level: Level,
    school_levels: Mapping[str, Sequence[str]],
) -> list[Problem]:
    """小学毕业学校: only a junior (grade 7) applicant leaves a primary school; the school must be
    registered (`school_levels` holds the registered ones) and teach primary pupils."""
    if primary_school_code is None:
        return []
    field = "primary_school_code"
    if level != "junior":
        return [
            Problem(
                t("一年级申请不应填写小学", "a grade-1 application names no primary school"),
                FieldError(
                    field,
                    "primary_school_for_junior",
                    t(
                        "小学毕业学校只用于七年级申请",
                        "the primary school the child leaves is given with a grade-7 "
                        "application only",
                    ),
                ),
            )
        ]
    if primary_school_code not in school_levels:
        return [
            Problem(
                t(
                    f"学校 {primary_school_code} 未登记",
                    f"school {primary_school_code} is not registered",
                ),
                FieldError(
                    field,
                    "school_registered",
                    t(
                        f"{primary_school_code} 不在学校名录中",
                        f"{primary_school_code} is not in the school registry",
                    ),
                ),
            )
        ]
    if "primary" not in set().union(*(ADMITS[lv] for lv in school_levels[primary_school_code])):
        return [
            Problem(
                t(
                    f"学校 {primary_school_code} 不设小学学段",
                    f"school {primary_school_code} has no primary section",
                ),
                FieldError(
                    field,
                    "school_level",
                    t(
                        f"{primary_school_code} 不设小学学段（"
                        f"{', '.join(school_levels[primary_school_code])}）",
                        f"{primary_school_code} teaches no primary pupils "
                        f"({', '.join(school_levels[primary_school_code])})",
                    ),
                ),
            )
        ]
    return []


def zone_missing(level: Level, county_code: str, year: int) -> Problem:
    """No zone in force covers the home nor the 户籍 address."""
    return Problem(
        t(
            "没有生效的学区覆盖住址或户籍地址",
            "no attendance zone in force covers the home or the 户籍 (household registration) "
            "address",
        ),
        FieldError(
            "home",
            "home_in_zones",
            t(
                f"{county_code} {year} 年没有覆盖此地址的 {level} 学区；请咨询教育局（统筹安排）",
                f"no {level} zone of {county_code} for {year} covers this address; ask the "
                "bureau (统筹安排 bureau placement)",
            ),
        ),
        is_policy=True,
    )


def school_options(home_schools: Sequence[str], hukou_schools: Sequence[str]) -> list[str]:
    """The schools a family may rank: its home zone's, then its 户籍 zone's not yet listed."""
    return list(home_schools) + [code for code in hukou_schools if code not in home_schools]


def choice_problems(
    choices: Sequence[str],
    options: Sequence[str],
    *,
    school_levels: Mapping[str, Sequence[str]],
    level: Level,
) -> tuple[list[str], list[Problem]]:
    """划片就近入学: the ranked choices (a 单校 zone's one school when none is given) and what is
    wrong with them — each must be registered (`school_levels` holds the registered ones),
    among the zones' options, and admit into the level."""
    if not choices:
        if len(options) != 1:
            return [], [
                Problem(
                    t("请为本学区的学校排列志愿顺序", "rank the schools of your zone"),
                    FieldError(
                        "choices",
                        "choices_required",
                        t(
                            f"该学区有 {len(options)} 所学校（{', '.join(options)}）：请排列志愿"
                            "顺序",
                            f"the zone offers {len(options)} schools ({', '.join(options)}): "
                            "rank them",
                        ),
                    ),
                )
            ]
        choices = options
    problems = []
    for index, code in enumerate(choices):
        if code not in school_levels:
            problems.append(
                Problem(
                    t(f"学校 {code} 未登记", f"school {code} is not registered"),
                    FieldError(
                        f"choices[{index}]",
                        "school_known",
                        t("不在学校名录中", "not in the school registry"),
                    ),
                )
            )
            continue
        if code not in options:
            problems.append(
                Problem(
                    t(
                        f"学校 {code} 不是该学区的学校",
                        f"school {code} is not among the zone's schools",
                    ),
                    FieldError(
                        f"choices[{index}]",
                        "choice_in_zone",
                        t(
                            f"此地址可选择 {', '.join(options)}（划片就近入学）",
                            f"this address may choose {', '.join(options)} (划片就近入学 zoned "
                            "nearby enrollment)",
                        ),
                    ),
                    is_policy=True,
                )
            )
            continue
        if level not in set().union(*(ADMITS[lv] for lv in school_levels[code])):
            problems.append(
                Problem(
                    t(
                        f"学校 {code} 不招收 {level} 学生",
                        f"school {code} does not admit {level} pupils",
                    ),
                    FieldError(
                        f"choices[{index}]",
                        "school_level",
                        t(f"不是 {level} 学校", f"not a {level} school"),
                    ),
                    is_policy=True,
                )
            )
    return list(choices), problems


def required_documents(
    migrant: bool, *, local: Sequence[str], migrant_documents: Sequence[str]
) -> tuple[str, ...]:
    """The checklist a family must show: the policy's list for its group."""
    return tuple(migrant_documents if migrant else local)


def missing_verifications(required: Sequence[str], results: Mapping[str, str]) -> list[str]:
    """Documents not yet confirmed (pending, refuted or never checked), in checklist order."""
    return [document for document in required if results.get(document) != "confirmed"]


def can_move(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]


def admission_stands(current: Status) -> bool:
    """录取 is final for review: an admitted child is not moved back to verifying, rejected or
    withdrawn (the refusal is a 409 `admission_stands`, a conflict with the admission)."""
    return current == "admitted"
