"""编制核定: staff quotas per school and county, and the county's 统筹 (pooling) proposal.

Pure functions over dataclasses; every number comes from `PolicyBook` rows in force for the
county on the date (domain.md §3.1, §5.4 items 6 and 10).

Per school, the exact quota is the sum of
- per level, the pupil basis `counted pupils ÷ pupil_staff_ratio`, combined with the class basis
  `classes × class_staff_ratio` by `quota_method` (ratio_only: pupil basis; mean: the average of
  the two; max: the larger) — every school on its real pupils: the rule that a village school
  or teaching point under 100 pupils is counted as 100 is about 公用经费 (operating funds,
  govt item 6, seed 001), never 编制 (domain.md §3.1); a rural school under `small_school_pupils`
  is only first to receive posts in the county's 统筹;
- boarders ÷ `boarding_pupils_per_extra_post` (寄宿制);
- special-education pupils ÷ `special_education_pupils_per_post` (特殊教育),
then rounded by `quota_rounding` (default: ceil of the school's exact total).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Literal

from junheng_kit.i18n import t as tt
from junheng_kit.problems import FieldError, RuleViolated
from staffing.policy.parameters import COMBINED, PolicyBook, PolicyRow

Level = Literal["primary", "junior", "senior"]
Area = Literal["urban", "county_town", "rural"]
QuotaMethod = Literal["ratio_only", "mean", "max", "combined"]  # combined: unresolved
Rounding = Literal["ceil_per_school", "ceil_per_component", "half_up_per_school"]
QuotaStatus = Literal["over", "under", "balanced", "not_approved"]

LEVELS: tuple[Level, ...] = ("primary", "junior", "senior")
ONE = Decimal(1)
EXACT_PLACES = Decimal("0.0001")  # how exact quotas are shown; comparisons use the full value


@dataclass(frozen=True, slots=True)
class SchoolQuotaInput:
    """One school's figures for a year: enrolment as the bureau entered it, posts and people."""

    school_code: str
    area: Area
    pupils: Mapping[Level, int]  # 在校生 by level
    classes: Mapping[Level, int]  # 教学班 by level
    boarding_pupils: int = 0
    special_education_pupils: int = 0
    approved: int | None = None  # 核定编制 from the ledger; None = never approved
    in_post: int = 0  # 在编 staff working at the school (借调 out excluded)
    substitutes: int = 0  # 代课 / 临聘 staff employed at the school
    seconded_out: int = 0  # the school's 在编 staff held elsewhere (借调)

    @property
    def total_pupils(self) -> int:
        return sum(self.pupils.values())


@dataclass(frozen=True, slots=True)
class QuotaPolicy:
    """The quota parameters in force for one county on one date, with the rows they came from."""

    pupils_per_post: Mapping[tuple[Level, Area], Decimal]
    class_staff_ratio: Mapping[Level, Decimal]
    method: QuotaMethod
    rounding: Rounding
    small_school_pupils: int | None  # a rural school under this size: first in 统筹
    boarding_pupils_per_extra_post: Decimal | None
    special_education_pupils_per_post: Decimal | None
    sources: tuple[PolicyRow, ...] = ()


def quota_policy(
    book: PolicyBook, county_code: str, on: date, schools: Sequence[SchoolQuotaInput]
) -> QuotaPolicy:
    """Resolve what `schools` need from the policy book, or 422 naming the missing parameter."""
    used: dict[tuple[str, str], PolicyRow] = {}

    def find(key: str, *qualifiers: str) -> PolicyRow | None:
        row = book.find(key, county_code, on, qualifiers or ("",))
        if row is not None:
            used[(row.key, row.qualifier)] = row
        return row

    method_row, rounding_row = find("quota_method"), find("quota_rounding")
    method: QuotaMethod = method_row.value if method_row else "ratio_only"  # type: ignore[assignment]
    rounding: Rounding = rounding_row.value if rounding_row else "ceil_per_school"  # type: ignore[assignment]
    errors: list[FieldError] = []
    if method == COMBINED:  # the province asks for both bases; the county has not said how
        errors.append(
            FieldError(
                "quota_method",
                "quota_method_required",
                tt(
                    f"自治区政策（范围 {method_row.scope_code if method_row else ''}）规定按照生"
                    f"师比与班师比相结合的方式核定基本编制：{county_code} 须设定 "
                    "quota_method（mean 或 max）及各学段的 "
                    "class_staff_ratio（由旗县区设定结合方式与班师比）",
                    "the province's policy (scope "
                    f"{method_row.scope_code if method_row else ''}) sets the basic quota by "
                    "生师比 (pupil–staff ratio) combined with 班师比 (class–staff ratio): "
                    f"{county_code} sets quota_method mean or max and its class_staff_ratio per "
                    "level",
                ),
            )
        )
    ratios: dict[tuple[Level, Area], Decimal] = {}
    class_ratios: dict[Level, Decimal] = {}
    for school in schools:
        for level, pupils in school.pupils.items():
            if pupils <= 0 and school.classes.get(level, 0) <= 0:
                continue
            if (level, school.area) not in ratios:
                row = find("pupil_staff_ratio", f"{level}:{school.area}", level)
                if row is None:
                    errors.append(
                        FieldError(
                            f"pupil_staff_ratio.{level}",
                            "pupil_staff_ratio_in_force",
                            tt(
                                f"{on.isoformat()} {county_code} 没有生效的 "
                                f"{level}（{school.area}）生师比",
                                f"no 生师比 (pupil–staff ratio) for {level} ({school.area}) in "
                                f"force for {county_code} on {on.isoformat()}",
                            ),
                        )
                    )
                    ratios[(level, school.area)] = ONE
                else:
                    ratios[(level, school.area)] = row.decimal
            if method != "ratio_only" and level not in class_ratios:
                row = find("class_staff_ratio", level)
                if row is None:
                    errors.append(
                        FieldError(
                            f"class_staff_ratio.{level}",
                            "class_staff_ratio_required",
                            tt(
                                f"quota_method {method} 需要 {level} 的班师比；{county_code} "
                                "尚未设定（无官方数值，由县级设定）",
                                f"quota_method {method} needs the 班师比 (class–staff ratio) for "
                                f"{level}; {county_code} has not set it (no official value, no "
                                "default: the county sets it)",
                            ),
                        )
                    )
                    class_ratios[level] = ONE
                else:
                    class_ratios[level] = row.decimal
    boarding = find("boarding_pupils_per_extra_post")
    special = find("special_education_pupils_per_post")
    if any(s.special_education_pupils for s in schools) and special is None:
        errors.append(
            FieldError(
                "special_education_pupils_per_post",
                "special_education_ratio_required",
                tt(
                    f"学校上报了特殊教育学生，但 {county_code} 未设定其编制配比（无官方数值，由县"
                    "级设定）",
                    f"schools report special-education pupils but {county_code} has set no "
                    "posts-per-pupil ratio for them (no official value, no default: the county "
                    "sets it)",
                ),
            )
        )
    if any(s.boarding_pupils for s in schools) and boarding is None:
        errors.append(
            FieldError(
                "boarding_pupils_per_extra_post",
                "boarding_ratio_required",
                tt(
                    f"学校上报了寄宿生，但 {county_code} 未设定寄宿制学校的附加编制规则（无官方数"
                    "值，由县级设定）",
                    f"schools report boarders but {county_code} has set no extra-post rule for "
                    "boarding schools (no official value, no default: the county sets it)",
                ),
            )
        )
    if errors:
        raise RuleViolated(
            tt("a parameter of the staffing quota (编制核定) is missing", "编制核定参数缺失"),
            *errors,
        )
    small = find("small_school_pupils")
    return QuotaPolicy(
        pupils_per_post=ratios,
        class_staff_ratio=class_ratios,
        method=method,
        rounding=rounding,
        small_school_pupils=int(small.decimal) if small else None,
        boarding_pupils_per_extra_post=boarding.decimal if boarding else None,
        special_education_pupils_per_post=special.decimal if special else None,
        sources=tuple(used.values()),
    )


@dataclass(frozen=True, slots=True)
class QuotaComponent:
    """One addend of a school's exact quota and how it was computed."""

    basis: str  # "primary", "junior", "senior", "boarding", "special_education"
    exact: Decimal
    explanation: str


@dataclass(frozen=True, slots=True)
class SchoolQuota:
    school_code: str
    required: int
    required_exact: Decimal
    components: tuple[QuotaComponent, ...]
    small_school: bool  # rural and under `small_school_pupils`: first to receive in 统筹
    approved: int | None
    in_post: int
    substitutes: int
    seconded_out: int
    status: QuotaStatus
    balance: int | None  # approved − required: > 0 超编 against the standard, < 0 缺编
    vacant_posts: int  # approved posts nobody in post fills
    staff_over_approved: int  # in post beyond the approved posts
    unfilled_quota: bool  # 有编不补: vacant posts while substitutes are employed
    holds_seconded_staff: bool  # 借调: the school's staff held outside it


def _divide(numerator: Decimal, denominator: Decimal) -> Decimal:
    return numerator / denominator


def _round(value: Decimal, rounding: Rounding) -> int:
    if rounding == "half_up_per_school":
        return int(value.quantize(ONE, rounding=ROUND_HALF_UP))
    return int(value.quantize(ONE, rounding=ROUND_CEILING))


def _plain(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP).normalize():f}"


def is_small_school(school: SchoolQuotaInput, small_school_pupils: int | None) -> bool:
    """A village school or teaching point (rural) with fewer pupils than the county's
    small-school size: weighed first when posts are pooled (seed 004)."""
    return (
        school.area == "rural"
        and small_school_pupils is not None
        and 0 < school.total_pupils < small_school_pupils
    )


def school_quota(school: SchoolQuotaInput, policy: QuotaPolicy) -> SchoolQuota:
    """The required posts of one school, compared with its approved posts and its staff."""
    components: list[QuotaComponent] = []
    for level in LEVELS:
        pupils = school.pupils.get(level, 0)
        classes = school.classes.get(level, 0)
        if pupils <= 0 and classes <= 0:
            continue
        ratio = policy.pupils_per_post[(level, school.area)]
        by_pupils = _divide(Decimal(pupils), ratio)
        note = f"{pupils} pupils ÷ {ratio}"
        exact = by_pupils
        if policy.method != "ratio_only":
            per_class = policy.class_staff_ratio[level]
            by_classes = Decimal(classes) * per_class
            exact = (
                (by_pupils + by_classes) / 2
                if policy.method == "mean"
                else max(by_pupils, by_classes)
            )
            note += f"; {classes} classes × {per_class} = {_plain(by_classes)}; {policy.method}"
        components.append(QuotaComponent(level, exact, note))
    if school.boarding_pupils and policy.boarding_pupils_per_extra_post:
        per = policy.boarding_pupils_per_extra_post
        components.append(
            QuotaComponent(
                "boarding",
                _divide(Decimal(school.boarding_pupils), per),
                f"{school.boarding_pupils} boarders ÷ {per}",
            )
        )
    if school.special_education_pupils and policy.special_education_pupils_per_post:
        per = policy.special_education_pupils_per_post
        components.append(
            QuotaComponent(
                "special_education",
                _divide(Decimal(school.special_education_pupils), per),
                f"{school.special_education_pupils} special-education pupils ÷ {per}",
            )
        )
    exact_total = sum((c.exact for c in components), Decimal(0))
    if policy.rounding == "ceil_per_component":
        required = sum(_round(c.exact, "ceil_per_school") for c in components)
    else:
        required = _round(exact_total, policy.rounding)
    approved = school.approved
    balance = None if approved is None else approved - required
    status: QuotaStatus
    if balance is None:
        status = "not_approved"
    else:
        status = "over" if balance > 0 else "under" if balance < 0 else "balanced"
    vacant = max((approved or 0) - school.in_post, 0)
    return SchoolQuota(
        school_code=school.school_code,
        required=required,
        required_exact=exact_total,
        components=tuple(components),
        small_school=is_small_school(school, policy.small_school_pupils),
        approved=approved,
        in_post=school.in_post,
        substitutes=school.substitutes,
        seconded_out=school.seconded_out,
        status=status,
        balance=balance,
        vacant_posts=vacant,
        staff_over_approved=max(school.in_post - (approved or 0), 0) if approved is not None else 0,
        unfilled_quota=vacant > 0 and school.substitutes > 0,
        holds_seconded_staff=school.seconded_out > 0,
    )


@dataclass(frozen=True, slots=True)
class CountyQuota:
    schools: tuple[SchoolQuota, ...]
    required: int
    approved: int
    in_post: int
    substitutes: int
    seconded_out: int
    vacant_posts: int
    over_schools: int
    under_schools: int
    unfilled_quota_schools: int
    not_approved_schools: int


def county_quota(schools: Sequence[SchoolQuotaInput], policy: QuotaPolicy) -> CountyQuota:
    quotas = tuple(school_quota(s, policy) for s in sorted(schools, key=lambda s: s.school_code))
    return CountyQuota(
        schools=quotas,
        required=sum(q.required for q in quotas),
        approved=sum(q.approved or 0 for q in quotas),
        in_post=sum(q.in_post for q in quotas),
        substitutes=sum(q.substitutes for q in quotas),
        seconded_out=sum(q.seconded_out for q in quotas),
        vacant_posts=sum(q.vacant_posts for q in quotas),
        over_schools=sum(q.status == "over" for q in quotas),
        under_schools=sum(q.status == "under" for q in quotas),
        unfilled_quota_schools=sum(q.unfilled_quota for q in quotas),
        not_approved_schools=sum(q.status == "not_approved" for q in quotas),
    )


@dataclass(frozen=True, slots=True)
class PostTransfer:
    """Approved posts moved from one school to another by the county (县管校聘)."""

    from_school: str
    to_school: str
    posts: int
    vacant_posts: int  # of `posts`, those nobody fills now (no teacher has to move)


@dataclass(frozen=True, slots=True)
class PoolingProposal:
    transfers: tuple[PostTransfer, ...]
    approved_before: Mapping[str, int]
    approved_after: Mapping[str, int]
    unmet_deficit: Mapping[str, int]  # still short after pooling, by school
    remaining_surplus: Mapping[str, int]  # still above the standard after pooling
    posts_moved: int
    county_approved_total: int  # unchanged by pooling


@dataclass(slots=True)
class _Donor:
    code: str
    surplus: int
    vacant: int
    moves: list[int] = field(default_factory=list)


def pooling_proposal(
    county: CountyQuota, inputs: Mapping[str, SchoolQuotaInput], small_school_pupils: int | None
) -> PoolingProposal:
    """统筹: move approved posts from schools above their standard to schools below it, within
    the county's approved total (greedy, documented).

    Receivers in priority order (seed 004: weigh small rural and boarding schools first): small
    rural schools, then boarding schools, then the largest shortfall relative to the standard,
    then school code. Each receiver takes vacant surplus posts first (no teacher moves), from
    the donor with the most vacant surplus, then occupied surplus posts (a teacher has to move
    with the post), from the donor with the most surplus. Schools never approved take no part.
    """
    approved = {q.school_code: q.approved for q in county.schools if q.approved is not None}
    donors = [
        _Donor(q.school_code, q.balance, min(q.balance, q.vacant_posts))
        for q in county.schools
        if q.balance is not None and q.balance > 0
    ]

    def priority(code: str, deficit: int, required: int) -> tuple[int, int, Decimal, str]:
        school = inputs[code]
        small = is_small_school(school, small_school_pupils)
        share = Decimal(deficit) / Decimal(required) if required else Decimal(0)
        return (0 if small else 1, 0 if school.boarding_pupils else 1, -share, code)

    required = {q.school_code: q.required for q in county.schools}
    receivers = sorted(
        (
            (q.school_code, -q.balance)
            for q in county.schools
            if q.balance is not None and q.balance < 0
        ),
        key=lambda item: priority(item[0], item[1], required[item[0]]),
    )
    transfers: list[PostTransfer] = []
    unmet: dict[str, int] = {}
    for code, deficit in receivers:
        need = deficit
        for vacant_phase in (True, False):
            while need > 0:
                pool = [d for d in donors if (d.vacant if vacant_phase else d.surplus) > 0]
                if not pool:
                    break
                donor = min(
                    pool, key=lambda d: (-(d.vacant if vacant_phase else d.surplus), d.code)
                )
                available = donor.vacant if vacant_phase else donor.surplus
                posts = min(need, available)
                vacant = min(posts, donor.vacant)
                donor.surplus -= posts
                donor.vacant -= vacant
                need -= posts
                transfers.append(PostTransfer(donor.code, code, posts, vacant))
        if need:
            unmet[code] = need
    after = dict(approved)
    for t in transfers:
        after[t.from_school] -= t.posts
        after[t.to_school] += t.posts
    return PoolingProposal(
        transfers=tuple(_merge(transfers)),
        approved_before=approved,
        approved_after=after,
        unmet_deficit=unmet,
        remaining_surplus={d.code: d.surplus for d in donors if d.surplus > 0},
        posts_moved=sum(t.posts for t in transfers),
        county_approved_total=sum(after.values()),
    )


def _merge(transfers: Sequence[PostTransfer]) -> list[PostTransfer]:
    """One transfer per (from, to) pair, in the order they were first made."""
    merged: dict[tuple[str, str], PostTransfer] = {}
    for t in transfers:
        key = (t.from_school, t.to_school)
        old = merged.get(key)
        merged[key] = (
            t
            if old is None
            else PostTransfer(
                t.from_school, t.to_school, old.posts + t.posts, old.vacant_posts + t.vacant_posts
            )
        )
    return list(merged.values())
