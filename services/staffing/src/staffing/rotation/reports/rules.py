"""交流轮岗 reports: what was executed against the approved plan (执行情况), rural service and
what it qualifies for, and the title structure of a school section. Pure functions over
dataclasses (domain.md §3.3, §3.4, §5.4 item 11)."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from staffing.rotation.rules import RotationParameters, Shortfall, ceil_share

# --- adherence -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MoveRecord:
    teacher_id: str
    from_school: str
    to_school: str
    is_backbone: bool = False
    pooled: bool = False


@dataclass(frozen=True, slots=True)
class Deviation:
    teacher_id: str
    kind: str  # not_executed | other_school | unplanned
    planned_to: str | None
    executed_to: str | None


@dataclass(frozen=True, slots=True)
class QuotaBreach:
    school_code: str
    net_arrivals: int
    free_posts: int


@dataclass(frozen=True, slots=True)
class Adherence:
    planned: int
    executed: int
    as_planned: int
    adherence_rate: Decimal  # as planned ÷ planned
    deviations: tuple[Deviation, ...]
    executed_backbone: int
    required_rotated: int
    required_backbone: int
    shortfalls: tuple[Shortfall, ...]
    quota_breaches: tuple[QuotaBreach, ...]


def adherence(
    *,
    planned: Sequence[MoveRecord],
    executed: Sequence[MoveRecord],
    eligible: int,
    free_posts: Mapping[str, int],
    parameters: RotationParameters,
) -> Adherence:
    """执行情况: the executed moves against the approved plan, the share rules and the posts."""
    plan_by_teacher = {m.teacher_id: m for m in planned}
    done_by_teacher = {m.teacher_id: m for m in executed}
    deviations = []
    as_planned = 0
    for move in planned:
        done = done_by_teacher.get(move.teacher_id)
        if done is None:
            deviations.append(Deviation(move.teacher_id, "not_executed", move.to_school, None))
        elif done.to_school != move.to_school:
            deviations.append(
                Deviation(move.teacher_id, "other_school", move.to_school, done.to_school)
            )
        else:
            as_planned += 1
    for move in executed:
        if move.teacher_id not in plan_by_teacher:
            deviations.append(Deviation(move.teacher_id, "unplanned", None, move.to_school))
    net: defaultdict[str, int] = defaultdict(int)
    for move in executed:
        pooled = plan_by_teacher.get(move.teacher_id)
        if pooled is not None and pooled.pooled and pooled.to_school == move.to_school:
            continue  # an approved 统筹 move does not draw on free posts
        net[move.to_school] += 1
        net[move.from_school] -= 1
    breaches = tuple(
        QuotaBreach(code, arrivals, free_posts.get(code, 0))
        for code, arrivals in sorted(net.items())
        if arrivals > max(free_posts.get(code, 0), 0)
    )
    required = ceil_share(parameters.min_share, eligible)
    backbone = sum(m.is_backbone for m in executed)
    denominator = len(executed) if parameters.backbone_denominator == "rotated" else eligible
    required_backbone = ceil_share(parameters.backbone_min_share, denominator)
    shortfalls = []
    if len(executed) < required:
        shortfalls.append(
            Shortfall(
                "rotation_min_share",
                required,
                len(executed),
                "fewer moves executed than the 10 % rule requires",
            )
        )
    if backbone < required_backbone:
        shortfalls.append(
            Shortfall(
                "rotation_backbone_min_share",
                required_backbone,
                backbone,
                "fewer backbone moves executed than the 20 % rule requires",
            )
        )
    rate = (
        (Decimal(as_planned) / Decimal(len(planned))).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )
        if planned
        else Decimal(1)
    )
    return Adherence(
        planned=len(planned),
        executed=len(executed),
        as_planned=as_planned,
        adherence_rate=rate,
        deviations=tuple(deviations),
        executed_backbone=backbone,
        required_rotated=required,
        required_backbone=required_backbone,
        shortfalls=tuple(shortfalls),
        quota_breaches=breaches,
    )


# --- rural service and titles ------------------------------------------------------------------

DAYS_PER_YEAR = 365


@dataclass(frozen=True, slots=True)
class RuralServiceCheck:
    rural_service_days: int
    rural_service_years: Decimal  # days ÷ 365, 2 places
    senior_title_eligible: bool | None  # None: the parameter is not set for the county
    principal_priority: bool | None


def rural_service_check(
    rural_days: int, senior_title_years: Decimal | None, principal_years: Decimal | None
) -> RuralServiceCheck:
    """≥ `senior_title_years` of rural or weak-school service is a prerequisite for 高级职称;
    ≥ `principal_years` gives priority for principal posts (domain.md §3.3); a year = 365 days."""

    def meets(years: Decimal | None) -> bool | None:
        return None if years is None else Decimal(rural_days) >= years * DAYS_PER_YEAR

    return RuralServiceCheck(
        rural_service_days=rural_days,
        rural_service_years=(Decimal(rural_days) / DAYS_PER_YEAR).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        ),
        senior_title_eligible=meets(senior_title_years),
        principal_priority=meets(principal_years),
    )


TITLE_BANDS = ("senior", "intermediate", "junior")


@dataclass(frozen=True, slots=True)
class TitleStructure:
    counts: Mapping[str, int]  # band → teachers
    total: int
    shares: Mapping[str, Decimal]
    target_shares: Mapping[str, Decimal] | None
    target_counts: Mapping[str, Decimal] | None  # total × target share
    over_target: tuple[str, ...]  # bands above their target share


def title_structure(counts: Mapping[str, int], ratio: Sequence[Decimal] | None) -> TitleStructure:
    """岗位结构比例: a school's senior : intermediate : junior titles against a target like
    3:4:3 (domain.md §3.4; only where a county sets one)."""
    total = sum(counts.get(b, 0) for b in TITLE_BANDS)
    q = Decimal("0.0001")

    def share(part: Decimal, whole: Decimal) -> Decimal:
        return (part / whole).quantize(q, rounding=ROUND_HALF_UP) if whole else Decimal(0)

    shares = {b: share(Decimal(counts.get(b, 0)), Decimal(total)) for b in TITLE_BANDS}
    if ratio is None:
        return TitleStructure(dict(counts), total, shares, None, None, ())
    whole = sum(ratio, Decimal(0))
    exact = {b: r / whole for b, r in zip(TITLE_BANDS, ratio, strict=True)}
    return TitleStructure(
        counts={b: counts.get(b, 0) for b in TITLE_BANDS},
        total=total,
        shares=shares,
        target_shares={b: v.quantize(q, rounding=ROUND_HALF_UP) for b, v in exact.items()},
        target_counts={
            b: (v * total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            for b, v in exact.items()
        },
        over_target=tuple(b for b in TITLE_BANDS if counts.get(b, 0) > exact[b] * total),
    )
