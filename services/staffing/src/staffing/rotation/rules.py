"""交流轮岗: the eligible pool, the required counts, the optimised plan and its adherence check.

Pure functions over dataclasses (domain.md §3.3, §5.2 indicators 1–3, §5.4 item 11).

The plan is a mixed-integer programme solved by HiGHS through `scipy.optimize.milp`:

- one variable x[t, r] per eligible teacher t and allowed receiving school r (same 学段 offered,
  direction urban → rural or stronger → weaker, within the distance limit, a declared subject
  need when needs are given);
- maximise Σ gain[t, r]·x[t, r], where gain is what the teacher adds to the receiving school's
  indicators 1–3, each as (100 ÷ pupils of that section) ÷ threshold, weighted by how far below
  the threshold the school is (gap = (threshold − value) ÷ threshold, at least 0) plus a small
  base weight (`BASE_WEIGHT`) so a school at the threshold still ranks by size;
- each teacher moves at most once; net arrivals at a school ≤ its free approved posts (编制);
  arrivals of a subject ≤ the school's declared need; exactly the target number of moves;
  backbone moves ≥ share × rotated (or × eligible);
- the count and backbone rules are hard when they can be met: their slack variables cost more
  than any gain (`penalty`), so a shortfall appears only when no plan meets them, and then the
  plan says why.

Speed without giving up the optimum: interchangeable teachers share one integer variable per
school, and the MILP first considers each group's `CANDIDATE_SCHOOLS` best receiving schools;
its answer is accepted only when it is within `OPTIMALITY_GAP` of the full model's LP bound,
otherwise the candidates double until they cover every allowed school. The plan reports the
proven gap.
"""

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from junheng_kit.problems import FieldError, RuleViolated

Section = Literal["primary", "junior"]
Area = Literal["urban", "county_town", "rural"]
Denominator = Literal["rotated", "eligible"]

SECTIONS: tuple[Section, ...] = ("primary", "junior")
INDICATORS = (
    "senior_degree_teachers_per_100",
    "backbone_teachers_per_100",
    "pe_arts_teachers_per_100",
)
AREA_RANK: Mapping[str, int] = {"urban": 2, "county_town": 1, "rural": 0}
BASE_WEIGHT = 0.01
EARTH_RADIUS_KM = 6371.0088
SOLVER_SECONDS = 60.0
CANDIDATE_SCHOOLS = 8  # receiving schools per group in the first MILP, doubled as needed
OPTIMALITY_GAP = 0.001  # accepted distance of a plan's objective from the LP bound


@dataclass(frozen=True, slots=True)
class RotationTeacher:
    """An active teacher of the county as the rotation rules need them."""

    teacher_id: str
    school_code: str
    section: Section
    subject: str
    school_joined_on: date
    retires_on: date | None  # None: unknown (the pool then needs the retirement parameters)
    is_in_quota: bool  # 在编 (not 借调, not 临聘)
    is_full_time: bool  # 专任教师
    is_backbone: bool  # 县级及以上骨干 (indicator 2; also the 20 % rule)
    above_required_degree: bool  # indicator 1
    is_pe_arts: bool  # indicator 3

    @property
    def contributes(self) -> tuple[bool, bool, bool]:
        return (self.above_required_degree, self.is_backbone, self.is_pe_arts)


@dataclass(frozen=True, slots=True)
class SectionState:
    """One school section's pupils and indicator counts (degree, backbone, PE/arts)."""

    pupils: int
    counts: tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class RotationSchool:
    school_code: str
    area: Area
    longitude: float
    latitude: float
    free_posts: int  # approved − in post (编制 headroom); ≤ 0 means none
    sections: Mapping[Section, SectionState]


@dataclass(frozen=True, slots=True)
class RotationParameters:
    min_share: Decimal
    backbone_min_share: Decimal
    backbone_denominator: Denominator
    trigger_years: int
    retirement_window_years: int
    max_distance_km: Decimal | None
    thresholds: Mapping[tuple[str, Section], Decimal]  # (indicator, section) → threshold
    target_count: int | None = None  # more moves than the minimum, if the bureau wants them


@dataclass(frozen=True, slots=True)
class FixedMove:
    """A move the bureau decided; `pooled` = 统筹 with approval (may exceed free posts)."""

    teacher_id: str
    to_school: str
    pooled: bool = False
    pooling_reference: str | None = None


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


def ceil_share(share: Decimal, count: int) -> int:
    """ceil(share × count), exactly: 10 % of 25 eligible is 2.5 → 3."""
    return int((share * count).to_integral_value(rounding=ROUND_CEILING))


@dataclass(frozen=True, slots=True)
class Pool:
    eligible: tuple[RotationTeacher, ...]
    excluded: Mapping[str, int]  # reason → teachers


def eligible_pool(
    teachers: Sequence[RotationTeacher], parameters: RotationParameters, on: date
) -> Pool:
    """符合交流条件: 在编 专任 teachers with ≥ trigger years at their school on `on` and at
    least `retirement_window_years` before retirement (fewer left: 不足 N 年, not in the pool)."""
    excluded: Counter[str] = Counter()
    eligible = []
    horizon = add_years(on, parameters.retirement_window_years)
    for teacher in teachers:
        if not (teacher.is_in_quota and teacher.is_full_time):
            excluded["not_in_quota_full_time"] += 1
        elif add_years(teacher.school_joined_on, parameters.trigger_years) > on:
            excluded["under_trigger_years"] += 1
        elif teacher.retires_on is not None and teacher.retires_on < horizon:
            excluded["near_retirement"] += 1
        else:
            eligible.append(teacher)
    return Pool(tuple(eligible), dict(excluded))


@dataclass(frozen=True, slots=True)
class IndicatorChange:
    key: str
    threshold: Decimal
    before: Decimal
    after: Decimal


@dataclass(frozen=True, slots=True)
class MoveWhy:
    """Why the optimiser chose the move, in the figures a bureau checks."""

    gain: float  # the objective's term for this move
    adds: tuple[str, ...]  # indicators the teacher counts for
    receiving_indicators: tuple[IndicatorChange, ...]  # receiving section, whole plan applied
    sending_indicators: tuple[IndicatorChange, ...]
    direction: str  # "urban→rural", "stronger→weaker", or "fixed by the bureau"
    sending_strength: Decimal
    receiving_strength: Decimal
    distance_km: Decimal


@dataclass(frozen=True, slots=True)
class PlannedMove:
    teacher_id: str
    from_school: str
    to_school: str
    section: Section
    subject: str
    is_backbone: bool
    fixed: bool
    pooled: bool
    pooling_reference: str | None
    why: MoveWhy


@dataclass(frozen=True, slots=True)
class Shortfall:
    rule: str  # rotation_min_share | rotation_backbone_min_share
    required: int
    planned: int
    reason: str


@dataclass(frozen=True, slots=True)
class Plan:
    moves: tuple[PlannedMove, ...]
    eligible: int
    excluded: Mapping[str, int]
    required_rotated: int
    target_rotated: int
    required_backbone: int
    rotated: int
    backbone_rotated: int
    shortfalls: tuple[Shortfall, ...]
    candidates_with_destination: int
    objective: float
    optimality_gap: float  # proven bound: (LP bound − objective) ÷ |LP bound|, penalties included
    free_posts: Mapping[str, int]


@dataclass(slots=True)
class _Arrays:
    codes: list[str]
    index: dict[str, int]
    pupils: NDArray[np.float64]  # S × 2
    counts: NDArray[np.float64]  # S × 2 × 3
    thresholds: NDArray[np.float64]  # 2 × 3
    strength: NDArray[np.float64]  # S × 2
    area: NDArray[np.int64]  # S
    free: NDArray[np.int64]  # S
    distance: NDArray[np.float64]  # S × S, km
    extra: dict[str, int] = field(default_factory=dict)


Pairs = NDArray[np.int64]
Gains = NDArray[np.float64]


def _relative_gap(result: Any, bound: Any) -> float:
    """How far a MILP answer may be from the optimum: (answer − LP bound) ÷ |bound|, minimising."""
    if result.fun is None or bound.fun is None:
        return float("inf")
    return max(float(result.fun) - float(bound.fun), 0.0) / max(abs(float(bound.fun)), 1.0)


def haversine_km(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    """Great-circle distances between every pair of points, km (mean Earth radius)."""
    phi, lam = np.radians(lat), np.radians(lon)
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    a = np.sin(dphi / 2) ** 2 + np.cos(phi)[:, None] * np.cos(phi)[None, :] * np.sin(dlam / 2) ** 2
    distances: NDArray[np.float64] = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    return distances


def _arrays(schools: Sequence[RotationSchool], parameters: RotationParameters) -> _Arrays:
    codes = [s.school_code for s in schools]
    pupils = np.zeros((len(schools), 2))
    counts = np.zeros((len(schools), 2, 3))
    for i, school in enumerate(schools):
        for j, section in enumerate(SECTIONS):
            state = school.sections.get(section)
            if state is not None and state.pupils > 0:
                pupils[i, j] = state.pupils
                counts[i, j] = state.counts
    thresholds = np.array(
        [[float(parameters.thresholds[(k, s)]) for k in INDICATORS] for s in SECTIONS]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(pupils[..., None] > 0, counts * 100 / pupils[..., None], 0.0)
    strength = (values / thresholds[None]).mean(axis=2)
    return _Arrays(
        codes=codes,
        index={c: i for i, c in enumerate(codes)},
        pupils=pupils,
        counts=counts,
        thresholds=thresholds,
        strength=strength,
        area=np.array([AREA_RANK[s.area] for s in schools], dtype=np.int64),
        free=np.array([max(s.free_posts, 0) for s in schools], dtype=np.int64),
        distance=haversine_km(
            np.array([s.longitude for s in schools], dtype=np.float64),
            np.array([s.latitude for s in schools], dtype=np.float64),
        ),
    )


def _per_100(count: float, pupils: float) -> Decimal:
    if pupils <= 0:
        return Decimal(0)
    exact = Decimal(round(count)) * 100 / Decimal(int(pupils))
    return exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def generate_plan(
    *,
    teachers: Sequence[RotationTeacher],
    schools: Sequence[RotationSchool],
    parameters: RotationParameters,
    on: date,
    subject_needs: Mapping[str, Mapping[str, int]] | None = None,
    fixed_moves: Sequence[FixedMove] = (),
    candidate_schools: int = CANDIDATE_SCHOOLS,
) -> Plan:
    """The rotation plan for one county and school year; see the module docstring.

    Interchangeable teachers (same school, section, indicator contributions and, when needs are
    given, subject) form one group with an integer variable per receiving school, bounded by the
    group's size: the same optimum without the symmetry that slows branch and bound; within a
    group the teachers longest at the school move first.
    """
    pool = eligible_pool(teachers, parameters, on)
    eligible = list(pool.eligible)
    arrays = _arrays(schools, parameters)
    _check_fixed(fixed_moves, eligible, teachers, arrays, schools)
    required = ceil_share(parameters.min_share, len(eligible))
    target = max(required, parameters.target_count or 0)
    n_schools = len(schools)
    fixed_to = {m.teacher_id: m for m in fixed_moves}

    # groups of interchangeable teachers (a fixed move's teacher is a group of its own)
    members: dict[tuple[object, ...], list[int]] = {}
    for i, t in enumerate(eligible):
        key: tuple[object, ...] = (
            t.school_code,
            t.section,
            t.contributes,
            t.subject if subject_needs is not None else "",
            t.teacher_id if t.teacher_id in fixed_to else "",
        )
        members.setdefault(key, []).append(i)
    groups = list(members.values())
    for group in groups:
        group.sort(key=lambda i: (eligible[i].school_joined_on, eligible[i].teacher_id))
    first = [eligible[g[0]] for g in groups]
    n_groups = len(groups)
    size = np.array([len(g) for g in groups], dtype=np.float64)
    home = np.array([arrays.index[t.school_code] for t in first], dtype=np.int64)
    section = np.array([SECTIONS.index(t.section) for t in first], dtype=np.int64)
    adds = np.array([t.contributes for t in first], dtype=np.float64).reshape(n_groups, 3)
    backbone = np.array([t.is_backbone for t in first], dtype=bool)
    subjects = sorted({t.subject for t in first})
    subject_of = np.array([subjects.index(t.subject) for t in first], dtype=np.int64)

    # allowed pairs: groups × schools
    offers = arrays.pupils[:, section].T > 0  # receiving school has the teacher's section
    not_home = home[:, None] != np.arange(n_schools)[None, :]
    sending_strength = arrays.strength[home, section]
    receiving_strength = arrays.strength[:, section].T
    urban_to_rural = arrays.area[home][:, None] > arrays.area[None, :]
    stronger = sending_strength[:, None] > receiving_strength + 1e-12
    allowed = offers & not_home & (urban_to_rural | stronger)
    if parameters.max_distance_km is not None:
        allowed &= arrays.distance[home] <= float(parameters.max_distance_km)
    need = np.zeros((n_schools, max(len(subjects), 1)), dtype=np.int64)
    if subject_needs is not None:
        for code, by_subject in subject_needs.items():
            if code in arrays.index:
                for subject, count in by_subject.items():
                    if subject in subjects:
                        need[arrays.index[code], subjects.index(subject)] = count
        allowed &= need[:, subject_of].T > 0
    fixed_group: dict[int, FixedMove] = {}
    for g, t in enumerate(first):
        move = fixed_to.get(t.teacher_id)
        if move is not None:
            allowed[g] = False
            allowed[g, arrays.index[move.to_school]] = True
            fixed_group[g] = move

    # gain per pair
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(
            arrays.pupils[..., None] > 0, arrays.counts * 100 / arrays.pupils[..., None], 0.0
        )
        gap = np.clip((arrays.thresholds[None] - values) / arrays.thresholds[None], 0.0, None)
        unit = np.where(arrays.pupils > 0, 100 / arrays.pupils, 0.0)  # S × 2
    weight = unit[..., None] / arrays.thresholds[None] * (BASE_WEIGHT + gap)  # S × 2 × 3
    full_gain = (adds[:, None, :] * weight[:, section, :].transpose(1, 0, 2)).sum(axis=2)
    penalty = float(np.where(allowed, full_gain, 0.0).max(initial=0.0)) * (target + 1) + 1.0
    pooled_in = np.zeros(n_schools)
    for move in fixed_moves:
        if move.pooled:
            pooled_in[arrays.index[move.to_school]] += 1

    def solve(mask: NDArray[np.bool_], integral: bool) -> tuple[Any, Pairs, Pairs, Gains]:
        pair_g, pair_s = np.nonzero(mask)
        gain = full_gain[pair_g, pair_s]
        n_pairs = len(pair_g)
        pair_index = np.arange(n_pairs, dtype=np.int64)

        # variables: pairs (moves of a group to a school), then count slack, backbone slack
        n_vars = n_pairs + 2
        c = np.concatenate([-gain, [penalty, penalty]])
        rows: list[NDArray[np.int64]] = []
        cols: list[NDArray[np.int64]] = []
        vals: list[NDArray[np.float64]] = []
        lower: list[float] = []
        upper: list[float] = []

        def constraint(
            row: NDArray[np.int64],
            col: NDArray[np.int64],
            value: NDArray[np.float64],
            lo: Sequence[float],
            hi: Sequence[float],
        ) -> None:
            rows.append(row + len(lower))
            cols.append(col)
            vals.append(value)
            lower.extend(lo)
            upper.extend(hi)

        # each teacher moves at most once: a group's moves ≤ its size
        constraint(pair_g, pair_index, np.ones(n_pairs), [0.0] * n_groups, size.tolist())
        # net arrivals ≤ free posts (+ pooled fixed moves into the school)
        constraint(
            np.concatenate([pair_s, home[pair_g]]),
            np.concatenate([pair_index, pair_index]),
            np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]),
            [-np.inf] * n_schools,
            (arrays.free + pooled_in).tolist(),
        )
        # subject needs
        if subject_needs is not None:
            key = pair_s * len(subjects) + subject_of[pair_g]
            used_keys, row_of = np.unique(key, return_inverse=True)
            caps = need.reshape(-1)[used_keys].astype(np.float64)
            for g, move in fixed_group.items():  # a fixed move counts within its school's need
                fixed_key = arrays.index[move.to_school] * len(subjects) + subject_of[g]
                caps[used_keys == fixed_key] = np.maximum(caps[used_keys == fixed_key], 1.0)
            constraint(
                row_of.astype(np.int64),
                pair_index,
                np.ones(n_pairs),
                [-np.inf] * len(used_keys),
                caps.tolist(),
            )
        # exactly `target` moves, or as many as possible (count slack)
        constraint(
            np.zeros(n_pairs + 1, dtype=np.int64),
            np.append(pair_index, n_pairs),
            np.ones(n_pairs + 1),
            [float(target)],
            [np.inf],
        )
        constraint(
            np.zeros(n_pairs, dtype=np.int64),
            pair_index,
            np.ones(n_pairs),
            [-np.inf],
            [float(target)],
        )
        # backbone share, exact in integers: q·backbone − p·rotated + q·slack ≥ 0
        share = Fraction(parameters.backbone_min_share)
        is_bb = backbone[pair_g].astype(np.float64)
        if parameters.backbone_denominator == "rotated":
            coefficient = share.denominator * is_bb - share.numerator
            floor = 0.0
            slack = float(share.denominator)
        else:
            coefficient = is_bb
            floor = float(ceil_share(parameters.backbone_min_share, len(eligible)))
            slack = 1.0
        constraint(
            np.zeros(n_pairs + 1, dtype=np.int64),
            np.append(pair_index, n_pairs + 1),
            np.append(coefficient, slack),
            [floor],
            [np.inf],
        )

        matrix = coo_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(len(lower), n_vars),
        ).tocsr()
        lower_bounds = np.zeros(n_vars)
        upper_bounds = np.concatenate([size[pair_g], [np.inf, np.inf]])
        for g in fixed_group:
            lower_bounds[np.nonzero(pair_g == g)[0]] = 1.0
        result = milp(
            c,
            integrality=np.concatenate([np.ones(n_pairs), [0, 0]]) if integral else None,
            bounds=Bounds(lower_bounds, upper_bounds),
            constraints=LinearConstraint(matrix, np.array(lower), np.array(upper)),
            options={"time_limit": SOLVER_SECONDS},
        )
        return result, pair_g, pair_s, gain

    # The full LP relaxation bounds the optimum; the MILP runs on each group's best `width`
    # receiving schools, widened until its answer is proven within OPTIMALITY_GAP of the bound
    # (or covers every allowed school).
    bound, *_ = solve(allowed, integral=False)
    width = max(candidate_schools, 1)
    while True:
        if width >= n_schools:
            mask = allowed
        else:
            score = np.where(allowed, full_gain - 1e-9 * arrays.distance[home], -np.inf)
            keep = np.zeros_like(allowed)
            np.put_along_axis(
                keep, np.argsort(-score, axis=1, kind="stable")[:, :width], True, axis=1
            )
            mask = allowed & keep
        result, pair_g, pair_s, gain = solve(mask, integral=True)
        if mask is allowed:  # the whole model: HiGHS's own proven gap
            proven_gap = float(getattr(result, "mip_gap", None) or 0.0)
            break
        proven_gap = _relative_gap(result, bound)
        if proven_gap <= OPTIMALITY_GAP:
            break
        width *= 2
    if result.x is None:
        raise RuleViolated(
            "交流轮岗方案无解",
            FieldError("fixed_moves", "rotation_plan_solvable", str(result.message)),
        )
    n_pairs = len(pair_g)
    counts = np.rint(result.x[:n_pairs]).astype(np.int64)
    taken = [0] * n_groups
    chosen: list[tuple[int, int, float]] = []
    for p in np.nonzero(counts > 0)[0].tolist():
        g = int(pair_g[p])
        for _ in range(int(counts[p])):
            chosen.append((groups[g][taken[g]], int(pair_s[p]), float(gain[p])))
            taken[g] += 1
    reachable = np.zeros(len(eligible), dtype=bool)
    for g, group in enumerate(groups):
        reachable[group] = bool(allowed[g].any())
    return _plan(
        eligible,
        pool,
        arrays,
        chosen,
        fixed_to,
        parameters,
        required,
        target,
        reachable,
        float(-result.fun if n_pairs else 0),
        proven_gap,
    )


def _check_fixed(
    fixed_moves: Sequence[FixedMove],
    eligible: Sequence[RotationTeacher],
    teachers: Sequence[RotationTeacher],
    arrays: _Arrays,
    schools: Sequence[RotationSchool],
) -> None:
    by_id = {t.teacher_id: t for t in eligible}
    known = {t.teacher_id for t in teachers}
    errors: list[FieldError] = []
    arrivals: Counter[str] = Counter()
    seen: set[str] = set()
    for i, move in enumerate(fixed_moves):
        where = f"fixed_moves[{i}]"
        teacher = by_id.get(move.teacher_id)
        if move.teacher_id in seen:
            errors.append(FieldError(f"{where}.teacher_id", "rotation_once_per_teacher"))
            continue
        seen.add(move.teacher_id)
        if move.teacher_id not in known:
            errors.append(
                FieldError(
                    f"{where}.teacher_id",
                    "teacher_in_county",
                    "no active teacher of the county has this id",
                )
            )
        elif teacher is None:
            errors.append(
                FieldError(
                    f"{where}.teacher_id",
                    "rotation_eligible",
                    "the teacher is not in the eligible pool",
                )
            )
        if move.to_school not in arrays.index:
            errors.append(
                FieldError(
                    f"{where}.to_school_code", "school_in_county", "not a school of the county"
                )
            )
            continue
        if teacher is not None:
            if teacher.school_code == move.to_school:
                errors.append(FieldError(f"{where}.to_school_code", "move_to_another_school"))
            elif arrays.pupils[arrays.index[move.to_school], SECTIONS.index(teacher.section)] <= 0:
                errors.append(
                    FieldError(
                        f"{where}.to_school_code",
                        "section_offered_by_school",
                        f"the school has no {teacher.section} pupils",
                    )
                )
        if move.pooled and not move.pooling_reference:
            errors.append(
                FieldError(
                    f"{where}.pooling_reference",
                    "pooling_approval_required",
                    "a 统筹 move names the approval it rests on",
                )
            )
        if teacher is not None and not move.pooled:
            arrivals[move.to_school] += 1
    for code, count in arrivals.items():
        free = int(arrays.free[arrays.index[code]])
        if count > free:
            errors.append(
                FieldError(
                    "fixed_moves",
                    "staff_quota_headroom",
                    f"{count} move(s) into {code}, which has {free} free approved post(s); "
                    "mark them pooled (统筹) with the approval, or choose another school",
                )
            )
    if errors:
        raise RuleViolated("指定的交流人选不符合规则", *errors)


def _plan(
    eligible: Sequence[RotationTeacher],
    pool: Pool,
    arrays: _Arrays,
    chosen: Sequence[tuple[int, int, float]],
    fixed_to: Mapping[str, FixedMove],
    parameters: RotationParameters,
    required: int,
    target: int,
    reachable: NDArray[np.bool_],
    objective: float,
    gap: float,
) -> Plan:
    after = arrays.counts.copy()
    for t, s, _ in chosen:
        teacher = eligible[t]
        j = SECTIONS.index(teacher.section)
        delta = np.array(teacher.contributes, dtype=np.float64)
        after[s, j] += delta
        after[arrays.index[teacher.school_code], j] -= delta

    def changes(s: int, j: int) -> tuple[IndicatorChange, ...]:
        pupils = float(arrays.pupils[s, j])
        return tuple(
            IndicatorChange(
                key=key,
                threshold=parameters.thresholds[(key, SECTIONS[j])],
                before=_per_100(float(arrays.counts[s, j, k]), pupils),
                after=_per_100(float(after[s, j, k]), pupils),
            )
            for k, key in enumerate(INDICATORS)
        )

    moves = []
    for t, s, g in chosen:
        teacher = eligible[t]
        j = SECTIONS.index(teacher.section)
        h = arrays.index[teacher.school_code]
        fixed = fixed_to.get(teacher.teacher_id)
        if fixed is not None:
            direction = "fixed by the bureau"
        elif arrays.area[h] > arrays.area[s]:
            direction = "urban→rural"
        else:
            direction = "stronger→weaker"
        moves.append(
            PlannedMove(
                teacher_id=teacher.teacher_id,
                from_school=teacher.school_code,
                to_school=arrays.codes[s],
                section=teacher.section,
                subject=teacher.subject,
                is_backbone=teacher.is_backbone,
                fixed=fixed is not None,
                pooled=bool(fixed and fixed.pooled),
                pooling_reference=fixed.pooling_reference if fixed else None,
                why=MoveWhy(
                    gain=round(g, 6),
                    adds=tuple(
                        k for k, a in zip(INDICATORS, teacher.contributes, strict=True) if a
                    ),
                    receiving_indicators=changes(s, j),
                    sending_indicators=changes(h, j),
                    direction=direction,
                    sending_strength=_round4(arrays.strength[h, j]),
                    receiving_strength=_round4(arrays.strength[s, j]),
                    distance_km=_round4(arrays.distance[h, s]),
                ),
            )
        )
    moves.sort(key=lambda m: (m.to_school, m.from_school, m.teacher_id))
    rotated = len(moves)
    backbone_rotated = sum(m.is_backbone for m in moves)
    if parameters.backbone_denominator == "rotated":
        required_backbone = ceil_share(parameters.backbone_min_share, rotated)
    else:
        required_backbone = ceil_share(parameters.backbone_min_share, len(eligible))
    with_destination = int(reachable.sum())
    shortfalls = []
    if rotated < required:
        shortfalls.append(
            Shortfall(
                "rotation_min_share",
                required,
                rotated,
                f"{len(eligible)} eligible teachers need ≥ {required} moves "
                f"({parameters.min_share} × eligible, rounded up); only {with_destination} have "
                "a receiving school allowed by direction, distance, subject need and section, "
                f"and receiving schools have {int(arrays.free.sum())} free approved posts",
            )
        )
    if backbone_rotated < required_backbone:
        available = sum(
            t.is_backbone for t, ok in zip(eligible, reachable.tolist(), strict=True) if ok
        )
        shortfalls.append(
            Shortfall(
                "rotation_backbone_min_share",
                required_backbone,
                backbone_rotated,
                f"backbone moves must be ≥ {parameters.backbone_min_share} × "
                f"{parameters.backbone_denominator}; {available} eligible backbone teachers have "
                "an allowed receiving school",
            )
        )
    return Plan(
        moves=tuple(moves),
        eligible=len(eligible),
        excluded=pool.excluded,
        required_rotated=required,
        target_rotated=target,
        required_backbone=required_backbone,
        rotated=rotated,
        backbone_rotated=backbone_rotated,
        shortfalls=tuple(shortfalls),
        candidates_with_destination=with_destination,
        objective=round(objective, 6),
        optimality_gap=round(gap, 6),
        free_posts={code: int(arrays.free[i]) for i, code in enumerate(arrays.codes)},
    )


def _round4(value: float | np.floating) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


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
